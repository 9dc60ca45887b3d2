"""The race harness: real threads, each on its own database connection.

Race tests use `django_db(transaction=True)` on PostgreSQL (see STYLE): the test's wrapping
transaction would hide a missing `atomic()`, and SQLite ignores row locks.
"""

import threading

from django.db import connection


def run_in_threads(work, arguments, *, barrier=None):
    """Run `work(argument)` in one thread per argument and wait for all; return, in order,
    what each returned or the exception it raised. With `barrier`, each thread waits on it
    before working. Each thread closes its own connection, so none is left open to block
    the test database's teardown."""
    arguments = list(arguments)
    results = [None] * len(arguments)

    def worker(index):
        try:
            if barrier is not None:
                barrier.wait()
            results[index] = work(arguments[index])
        except Exception as error:  # handed back to the test, which asserts on it
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(arguments))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def run_at_once(work, arguments):
    """`run_in_threads`, with every thread released together, so the calls really overlap."""
    arguments = list(arguments)
    return run_in_threads(work, arguments, barrier=threading.Barrier(len(arguments)))


def raised(results):
    """The exceptions among `run_in_threads` / `run_at_once` results."""
    return [result for result in results if isinstance(result, Exception)]

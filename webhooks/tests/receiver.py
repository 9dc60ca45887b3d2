"""A customer's webhook receiver: a real HTTP server on 127.0.0.1 that checks each
delivery's signature with the README's own example code and can fail on purpose."""

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_verify():
    """The `verify` function of the README's receiver example, run as written there."""
    text = README.read_text()
    section = text[text.index("### Verifying a webhook") :]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    return namespace["verify"]


class Receiver:
    """`answers`: status codes to answer, in order (then 200); `hold`: an Event a request
    waits on before answering (to be killed mid-delivery)."""

    def __init__(self, secret=None):
        self.secret = secret
        self.verify = readme_verify()
        self.received = []  # (event id, type, signature valid)
        self.answers = []
        self.hold = None
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                valid = receiver.verify(receiver.secret, self.headers["FinTrack-Signature"], body)
                event = json.loads(body)
                with receiver.lock:
                    receiver.received.append(
                        (self.headers["FinTrack-Event-Id"], event["type"], valid, event)
                    )
                    status = receiver.answers.pop(0) if receiver.answers else 200
                if receiver.hold is not None:
                    receiver.hold.wait(30)
                self.send_response(status if valid else 400)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        if self.hold is not None:
            self.hold.set()
        self.server.shutdown()
        self.server.server_close()

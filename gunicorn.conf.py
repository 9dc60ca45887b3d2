"""gunicorn's settings for `make serve` (spec 20), read from the environment.

gunicorn loads this file itself (`gunicorn -c gunicorn.conf.py fintrack.wsgi`), so it
imports nothing from Django.
"""

import os

# The port the load balancer or proxy forwards to; all interfaces, as in a container.
bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
# Worker processes. Each serves one request at a time (sync workers): the money commands
# hold row locks and a short transaction, so processes, not threads, give the parallelism.
# About 2 x cores + 1 is gunicorn's rule of thumb; the default suits a small machine.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# A request that takes longer is killed and its worker replaced; generous for PDF and
# export rendering, short enough that a stuck worker does not sit forever.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# Logs go to standard output like the application's own JSON lines; the request lines
# come from the application (with request id, user and organization), so gunicorn's own
# access log stays off to avoid a second, poorer line per request.
accesslog = None
errorlog = "-"

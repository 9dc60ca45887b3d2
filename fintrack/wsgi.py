"""The WSGI application gunicorn serves (`make serve`).

Everything a worker loads before its first request is loaded here, and then frozen out of
the garbage collector's sight (`gc.freeze`): Django, the apps, the admin and, imported
now rather than by the first request, the URL configuration with every view and
serializer. Those objects live as long as the process; without the freeze every full
collection walked all of them again (about 0.2 ms of CPU a request on average, paid as
one pause of about 100 ms every few hundred requests).
"""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fintrack.settings")
application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018 - imports the URL configuration, views and all
gc.freeze()

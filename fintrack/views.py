"""Process-level endpoints and JSON fallbacks for errors raised outside DRF views."""

import sys

from django.db import connection
from django.http import JsonResponse

from api.exceptions import DATABASE_UNAVAILABLE_ERRORS, error_response, service_unavailable


def healthz(request):
    """Liveness: the process answers."""
    return JsonResponse({"status": "ok"})


def readyz(request):
    """Readiness: the database answers a query."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure means "not ready"
        return service_unavailable()
    return JsonResponse({"status": "ok"})


def not_found(request, exception=None):
    return error_response(404, "not_found", "Not found.")


def server_error(request):
    # Django calls this while handling the exception, so it is still the current one: a
    # database outage outside DRF (the admin, a middleware) is a 503 like in the API.
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE_ERRORS):
        return service_unavailable()
    return error_response(500, "error", "A server error occurred.")


def bad_request(request, exception=None):
    return error_response(400, "bad_request", "Bad request.")


def permission_denied(request, exception=None):
    return error_response(
        403, "permission_denied", "You do not have permission to perform this action."
    )

"""Process-level endpoints and JSON fallbacks for errors raised outside DRF views."""

import sys

from django.db import connection
from django.http import JsonResponse

from fintrack.exceptions import DATABASE_UNAVAILABLE_ERRORS, RETRY_AFTER_SECONDS, ServiceUnavailable


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


def error_response(status: int, code: str, detail: str) -> JsonResponse:
    """The one error shape of spec 11, for answers given outside DRF's exception handler."""
    body = {"type": "client_error" if status < 500 else "server_error"}
    body["errors"] = [{"code": code, "detail": detail, "attr": None}]
    return JsonResponse(body, status=status)


def service_unavailable() -> JsonResponse:
    """503 `service_unavailable` + Retry-After: the same answer DRF views give."""
    response = error_response(
        503, ServiceUnavailable.default_code, str(ServiceUnavailable.default_detail)
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


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

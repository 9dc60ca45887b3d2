"""Process-level endpoints and JSON fallbacks for errors raised outside DRF views."""

from django.db import connection
from django.http import JsonResponse


def healthz(request):
    """Liveness: the process answers."""
    return JsonResponse({"status": "ok"})


def readyz(request):
    """Readiness: the database answers a query."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure means "not ready"
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


def error_response(status: int, code: str, detail: str) -> JsonResponse:
    """The one error shape of spec 11, for answers given outside DRF's exception handler."""
    body = {"type": "client_error" if status < 500 else "server_error"}
    body["errors"] = [{"code": code, "detail": detail, "attr": None}]
    return JsonResponse(body, status=status)


def not_found(request, exception=None):
    return error_response(404, "not_found", "Not found.")


def server_error(request):
    return error_response(500, "error", "A server error occurred.")


def bad_request(request, exception=None):
    return error_response(400, "bad_request", "Bad request.")


def permission_denied(request, exception=None):
    return error_response(
        403, "permission_denied", "You do not have permission to perform this action."
    )

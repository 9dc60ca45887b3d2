"""Request ids and the one log line per request (spec 20).

`X-Request-ID` from the client (or the proxy) is kept when it is a harmless token, so one
id follows a request through the proxy's, this app's and the client's logs; anything
else (too long, spaces, control characters that could forge log lines) is replaced by a
new id. Either way the id is on every answer, whatever its status.
"""

import re
import time
import uuid

import structlog

REQUEST_ID_HEADER = "X-Request-ID"
MAX_REQUEST_ID_LENGTH = 200
SAFE_REQUEST_ID = re.compile(rf"[A-Za-z0-9._:-]{{1,{MAX_REQUEST_ID_LENGTH}}}")

logger = structlog.get_logger("fintrack.request")


def request_id_from(request) -> str:
    candidate = request.headers.get(REQUEST_ID_HEADER, "")
    if SAFE_REQUEST_ID.fullmatch(candidate):
        return candidate
    return uuid.uuid4().hex


def bind_organization(organization_id) -> None:
    """Called once the API knows which organization the request acts in."""
    structlog.contextvars.bind_contextvars(organization=organization_id)


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        request_id = request_id_from(request)
        request.request_id = request_id
        # A worker serves one request after another: nothing bound for the last may leak.
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id, organization=None)
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            user = getattr(request, "user", None)
            # DRF sets the authenticated user on this HttpRequest too; session users come
            # from Django's middleware. Known by id only: no e-mail in the logs.
            user_id = user.pk if user is not None and user.is_authenticated else None
            logger.info(
                "request",
                user=user_id,
                method=request.method,
                path=request.path,
                status=response.status_code,
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
            )
            return response
        finally:
            structlog.contextvars.clear_contextvars()

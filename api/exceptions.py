"""Errors in HTTP: the single translation of domain errors, and the one error shape.

Domain code raises `core.errors.DomainError` subclasses and never imports DRF; this module
maps each one's kind to its status (keeping its stable `code`), then drf-standardized-errors
renders the one error shape of spec 11. Answers given outside DRF views use the same
shape (`error_response`).
"""

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from drf_standardized_errors.handler import ExceptionHandler
from rest_framework import exceptions, status

from core import errors
from core.errors import DomainError

# The database refused, dropped or did not answer (PostgreSQL restarting, network gone, a
# lock or serialization timeout): the request may succeed later, so the answer is 503
# `service_unavailable` with Retry-After, never a 500 (spec 11).
DATABASE_UNAVAILABLE_ERRORS = (OperationalError, InterfaceError)
# Seconds a client should wait before retrying after a 503.
RETRY_AFTER_SECONDS = 5


# Each kind of domain refusal and its HTTP status: the one place they meet.
STATUS_OF_KIND = {
    errors.INVALID: status.HTTP_400_BAD_REQUEST,
    errors.FORBIDDEN: status.HTTP_403_FORBIDDEN,
    errors.NOT_FOUND: status.HTTP_404_NOT_FOUND,
    errors.CONFLICT: status.HTTP_409_CONFLICT,
    errors.PRECONDITION: status.HTTP_412_PRECONDITION_FAILED,
}


class DomainAPIException(exceptions.APIException):
    def __init__(self, error: DomainError):
        self.status_code = STATUS_OF_KIND[error.kind]
        # A refusal that names the input it is about (a receipt's allocation whose invoice
        # is not payable) keeps its `attr` in the one error shape.
        detail = {error.attr: [error.message]} if error.attr else error.message
        super().__init__(detail=detail, code=error.code)


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"
    default_detail = "The request body is larger than the server accepts."


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "service_unavailable"
    default_detail = "The service is temporarily unavailable; retry after the delay given."
    # drf-standardized-errors turns `wait` into the Retry-After header.
    wait = RETRY_AFTER_SECONDS


def single_authentication_error(exc: exceptions.AuthenticationFailed):
    """simplejwt puts a dict (`detail`, `code`, `messages`) in its 401s, which would be
    rendered as several errors with internal keys as `attr`; keep one plain error."""
    flat = exceptions.AuthenticationFailed(
        str(exc.detail.get("detail", exc.default_detail)),
        code=str(exc.detail.get("code", exc.default_code)),
    )
    # What DRF decided for the original: 401 with WWW-Authenticate (or 403 without).
    flat.status_code = exc.status_code
    flat.auth_header = getattr(exc, "auth_header", None)
    return flat


class FinTrackExceptionHandler(ExceptionHandler):
    """drf-standardized-errors' handler, taught our domain errors and Django's validation."""

    def convert_known_exceptions(self, exc):
        if isinstance(exc, DomainError):
            # Input that breaks a rule is a validation error naming its field; any other
            # kind keeps its own status (409, 412 ...) even when it names a field.
            if exc.attr and exc.kind == errors.INVALID:
                return exceptions.ValidationError({exc.attr: [exc.message]}, code=exc.code)
            return DomainAPIException(exc)
        if isinstance(exc, exceptions.AuthenticationFailed) and isinstance(exc.detail, dict):
            return single_authentication_error(exc)
        if isinstance(exc, RequestDataTooBig):
            return RequestTooLarge()
        if isinstance(exc, DATABASE_UNAVAILABLE_ERRORS):
            return ServiceUnavailable()
        if isinstance(exc, DjangoValidationError):
            detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
            return exceptions.ValidationError(detail)
        return super().convert_known_exceptions(exc)


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

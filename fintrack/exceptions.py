"""Domain errors and their single translation into HTTP.

Domain code raises `DomainError` subclasses and never imports DRF; the API layer maps each
one to its status and stable `code` here, then drf-standardized-errors renders the one
error shape of spec 11.
"""

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from drf_standardized_errors.handler import ExceptionHandler
from rest_framework import exceptions, status

# The database refused, dropped or did not answer (PostgreSQL restarting, network gone, a
# lock or serialization timeout): the request may succeed later, so the answer is 503
# `service_unavailable` with Retry-After, never a 500 (spec 11).
DATABASE_UNAVAILABLE_ERRORS = (OperationalError, InterfaceError)
# Seconds a client should wait before retrying after a 503.
RETRY_AFTER_SECONDS = 5


class DomainError(Exception):
    """A business rule refused an operation. `code` is the spec's stable error code."""

    code = "invalid"
    status_code = status.HTTP_400_BAD_REQUEST
    default_message = "The request breaks a business rule."

    def __init__(self, message: str | None = None, *, code: str | None = None, attr=None):
        self.message = message or self.default_message
        if code:
            self.code = code
        self.attr = attr
        super().__init__(self.message)


class ConflictError(DomainError):
    """The object's current state forbids the operation (HTTP 409)."""

    code = "conflict"
    status_code = status.HTTP_409_CONFLICT


class InvalidStatus(ConflictError):
    code = "invalid_status"
    default_message = "This action is not allowed in the object's current status."


class ConcurrentModification(ConflictError):
    code = "concurrent_modification"
    default_message = "The object was changed by another request; reload it and try again."


class PreconditionFailed(DomainError):
    code = "precondition_failed"
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_message = "If-Match does not match the object's current version."


class DomainAPIException(exceptions.APIException):
    def __init__(self, error: DomainError):
        self.status_code = error.status_code
        super().__init__(detail=error.message, code=error.code)


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
            if exc.attr:
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

"""Domain errors: what a business rule says when it refuses, never how HTTP says it.

Domain code raises `DomainError` subclasses. Each has a stable `code` (the spec's error
code), an optional `attr` (the input field at fault) and a `kind`, which says what sort of
refusal it is; the API layer (`api.exceptions`) alone maps a kind to an HTTP status.
"""

# The kinds of refusal. `invalid`: the input breaks a rule. `conflict`: the object's current
# state forbids the operation. `precondition`: the client's If-Match no longer holds.
# `not_found`: the object is not there. `forbidden`: the actor may not do this yet.
INVALID = "invalid"
CONFLICT = "conflict"
PRECONDITION = "precondition"
NOT_FOUND = "not_found"
FORBIDDEN = "forbidden"
KINDS = frozenset({INVALID, CONFLICT, PRECONDITION, NOT_FOUND, FORBIDDEN})


class DomainError(Exception):
    """A business rule refused an operation. `code` is the spec's stable error code."""

    code = "invalid"
    kind = INVALID
    default_message = "The request breaks a business rule."

    def __init__(self, message: str | None = None, *, code: str | None = None, attr=None):
        self.message = message or self.default_message
        if code:
            self.code = code
        self.attr = attr
        super().__init__(self.message)


class ConflictError(DomainError):
    """The object's current state forbids the operation."""

    code = "conflict"
    kind = CONFLICT


class InvalidStatus(ConflictError):
    code = "invalid_status"
    default_message = "This action is not allowed in the object's current status."


class ConcurrentModification(ConflictError):
    code = "concurrent_modification"
    default_message = "The object was changed by another request; reload it and try again."


class PreconditionFailed(DomainError):
    code = "precondition_failed"
    kind = PRECONDITION
    default_message = "If-Match does not match the object's current version."

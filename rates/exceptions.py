from core.errors import ConflictError, DomainError


class RateUnavailable(DomainError):
    """No stored rate converts one currency into another on a date: never assume 1.0."""

    code = "rate_unavailable"
    default_message = "No exchange rate is available for this conversion."


class DuplicateRate(ConflictError):
    code = "duplicate_rate"
    default_message = "This organization already has a rate for this pair on this date."

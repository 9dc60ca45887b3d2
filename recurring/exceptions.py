from core.errors import ConflictError, DomainError


class InvalidSchedule(DomainError):
    code = "invalid"
    default_message = "The recurring invoice's schedule is not valid."


class AutoEmailNeedsAutoSend(DomainError):
    code = "auto_email_needs_auto_send"
    default_message = "Only an invoice that is sent can be e-mailed: set auto_send too."


class ScheduleLocked(ConflictError):
    code = "schedule_locked"
    default_message = (
        "The interval, its count and the start date cannot change once a period has run."
    )

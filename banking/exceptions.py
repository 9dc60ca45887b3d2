"""Stable error codes of spec 15 for bank statements and bank lines."""

from core.errors import ConflictError, DomainError


class InvalidStatement(DomainError):
    code = "invalid_statement"
    default_message = "The file is not a statement that can be read."

    def __init__(self, message=None, *, code=None, attr="file"):
        super().__init__(message, code=code, attr=attr)


class AlreadyMatched(ConflictError):
    code = "already_matched"
    default_message = "This bank line is already matched to a receipt."


class OutgoingLine(DomainError):
    code = "outgoing_line"
    default_message = "Money going out of the account cannot become a receipt."

"""Business-rule errors of organizations and memberships (spec 2)."""

from core.errors import FORBIDDEN, ConflictError, DomainError


class UserNotFound(DomainError):
    code = "user_not_found"
    default_message = "No active user has this e-mail address."


class AlreadyMember(ConflictError):
    code = "already_member"
    default_message = "This user is already a member of the organization."


class LastAdmin(ConflictError):
    code = "last_admin"
    default_message = "The organization's last admin can be neither demoted nor removed."


class WrongPassword(DomainError):
    code = "wrong_password"
    default_message = "The current password is not correct."


class InvalidToken(DomainError):
    code = "invalid_token"
    default_message = "This password-reset link is invalid, used or expired."


class InvalidCode(DomainError):
    code = "invalid_code"
    default_message = "This verification code is not correct."


class CodeExpired(DomainError):
    code = "code_expired"
    default_message = (
        "This verification code has expired or was guessed wrong too often: ask for a new one."
    )


class EmailNotVerified(DomainError):
    code = "email_not_verified"
    kind = FORBIDDEN
    default_message = "Verify your e-mail address before sending invoices or moving money."

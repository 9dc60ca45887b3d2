"""Business-rule errors of organizations and memberships (spec 2)."""

from fintrack.exceptions import ConflictError, DomainError


class UserNotFound(DomainError):
    code = "user_not_found"
    default_message = "No active user has this e-mail address."


class AlreadyMember(ConflictError):
    code = "already_member"
    default_message = "This user is already a member of the organization."


class LastAdmin(ConflictError):
    code = "last_admin"
    default_message = "The organization's last admin can be neither demoted nor removed."

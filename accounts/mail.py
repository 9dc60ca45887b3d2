"""The account e-mails (spec 20): password-reset links and verification codes.

Sent after commit: a rolled-back sign-up or reset sends nothing, and a slow mail server
never holds a database transaction open.
"""

import structlog
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from accounts.models import EmailVerification
from accounts.passwords import reset_link, reset_token_for

logger = structlog.get_logger(__name__)


def queue_password_reset_email(user):
    token = reset_token_for(user)
    link = reset_link(token, settings.PASSWORD_RESET_URL)
    minutes = settings.PASSWORD_RESET_TIMEOUT // 60
    body = (
        f"Someone asked to reset the password of your FinTrack account ({user.email}).\n\n"
        f"To choose a new password, open this link within {minutes} minutes:\n\n{link}\n\n"
        "The link works once. If you did not ask for it, ignore this e-mail: your password "
        "stays as it is.\n"
    )
    _send_on_commit(user, "Reset your FinTrack password", body, kind="password_reset")


def queue_verification_code_email(user):
    """Issue a new code (the old one stops working) and e-mail it after commit."""
    code = EmailVerification.issue(user)
    hours = int(EmailVerification.CODE_LIFETIME.total_seconds() // 3600)
    body = (
        f"Your FinTrack verification code is {code}.\n\n"
        f"Enter it in FinTrack within {hours} hours to confirm your e-mail address.\n"
    )
    _send_on_commit(user, f"FinTrack verification code: {code}", body, kind="verification_code")


def _send_on_commit(user, subject, body, *, kind):
    def send():
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
        # The user's id, never the link or the code: logs are read by more people.
        logger.info("account_email.sent", kind=kind, user=user.pk)

    # robust: a failing mail server is logged, it does not turn the answer into a 500
    # after the change has committed.
    transaction.on_commit(send, robust=True)

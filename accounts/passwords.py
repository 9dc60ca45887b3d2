"""Password-reset tokens (spec 20): `<user id in base64>.<Django's reset token>`.

Django's `default_token_generator` signs the user's id, password hash, last login and the
time: the token dies after PASSWORD_RESET_TIMEOUT (one hour) and as soon as the password
changes, so each token works once. Nothing is stored.
"""

from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from accounts.exceptions import InvalidToken
from accounts.models import User

MAX_TOKEN_LENGTH = 200


def reset_token_for(user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"{uid}.{default_token_generator.make_token(user)}"


def user_for_reset_token(token: str) -> User:
    """The active user the token was made for; 400 `invalid_token` for anything else
    (malformed, another user's, used, expired), all alike."""
    uid, _, secret = token.partition(".")
    try:
        user_id = int(urlsafe_base64_decode(uid).decode())
        user = User.objects.get(pk=user_id, is_active=True)
    except (ValueError, UnicodeDecodeError, OverflowError, User.DoesNotExist):
        raise InvalidToken(attr="token") from None
    if not default_token_generator.check_token(user, secret):
        raise InvalidToken(attr="token")
    return user


def reset_link(token: str, template: str) -> str:
    # replace, not format: a URL may contain other braces.
    return template.replace("{token}", token)

"""Secrets at rest (an organization's Stripe keys): Fernet tokens keyed by the
`FIELD_ENCRYPTION_KEY` setting, through `cryptography` — never a home-made cipher.

The setting holds one Fernet key, or several separated by commas for rotation: the first
encrypts, every one of them decrypts (`MultiFernet`). Without it nothing can be encrypted:
saving a secret is refused (`EncryptionNotConfigured`, 400 `encryption_not_configured`).
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from core.errors import DomainError


class EncryptionNotConfigured(DomainError):
    code = "encryption_not_configured"
    default_message = "Secrets cannot be stored: the server has no FIELD_ENCRYPTION_KEY configured."


def configured_keys() -> list[bytes]:
    """The keys of `FIELD_ENCRYPTION_KEY`, newest first: a comma-separated string, bytes,
    or a list of either; empty when the setting is absent or blank."""
    value = getattr(settings, "FIELD_ENCRYPTION_KEY", None) or ""
    if isinstance(value, bytes):
        value = value.decode("ascii")
    if isinstance(value, str):
        value = value.split(",")
    keys = []
    for key in value:
        key = key.decode("ascii") if isinstance(key, bytes) else key
        if key.strip():
            keys.append(key.strip().encode("ascii"))
    return keys


def is_configured() -> bool:
    return bool(configured_keys())


def _fernet() -> MultiFernet:
    keys = configured_keys()
    if not keys:
        raise EncryptionNotConfigured()
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as error:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must be Fernet keys (32 url-safe base64-encoded bytes), "
            "separated by commas."
        ) from error


def encrypt(plaintext: str) -> str:
    """A Fernet token of `plaintext` under the newest key."""
    return _fernet().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    """The plaintext of a token made by `encrypt` under any configured key."""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as error:
        raise ImproperlyConfigured(
            "A stored secret cannot be decrypted with FIELD_ENCRYPTION_KEY (was its key "
            "removed before `manage.py reencrypt_secrets` ran?)."
        ) from error


def reencrypt(token: str) -> str:
    """The same secret under the newest key (`MultiFernet.rotate`), for key rotation."""
    return _fernet().rotate(token.encode("ascii")).decode("ascii")

"""Refresh-token rotation that exactly one of many concurrent refreshes wins (spec 11).

simplejwt blacklists the old refresh token with `get_or_create`, so concurrent refreshes of
one token could each see "not yet blacklisted" and each get a new pair. Here the blacklist
row is the claim: `BlacklistedToken.token` is unique, so of N concurrent inserts for one
token exactly one is created; every other refresh finds it already there and is refused
with 401 `token_not_valid`, and its transaction leaves nothing behind.
"""

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_serializer
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.tokens import RefreshToken


class SingleUseRefreshToken(RefreshToken):
    def blacklist(self):
        # get_or_create inserts inside a savepoint and falls back to reading the existing
        # row on IntegrityError: `created` is True for exactly one caller.
        blacklisted, created = super().blacklist()
        if not created:
            raise TokenError(_("Token is blacklisted"))
        return blacklisted


# Same request and response as simplejwt's: keep its schema component name for clients.
@extend_schema_serializer(component_name="TokenRefresh")
class SingleUseTokenRefreshSerializer(TokenRefreshSerializer):
    token_class = SingleUseRefreshToken

    def validate(self, attrs):
        # Blacklisting the old token and recording the new one commit together.
        with transaction.atomic():
            return super().validate(attrs)

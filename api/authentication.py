"""JWT authentication that reuses the result the idempotency middleware already computed.

`api.idempotency` must know the user before the view runs (a key belongs to a user),
so it authenticates the bearer token itself. Without this class DRF would then validate the
same token and load the same user a second time; here it takes the middleware's result,
which came from the same `Authorization` header of the same request.

With an `X-Organization` header the user is read together with that membership and its
organization, in one query: the role check then needs none of its own. That statement is
built once per database (`core.joined_read`), not by the ORM on every request.
"""

from functools import cache

from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.settings import api_settings

from core.joined_read import JoinedRead

# Attribute of the Django HttpRequest where the middleware leaves its (user, token) pair.
AUTHENTICATED_ATTRIBUTE = "_fintrack_jwt_authenticated"


def remember(request, authenticated) -> None:
    """Called by the middleware with a successful `(user, validated_token)`."""
    setattr(request, AUTHENTICATED_ATTRIBUTE, authenticated)


@cache
def membership_read() -> JoinedRead:
    """The membership of (token's user, organization), with both loaded, in one statement."""
    from accounts.models import Membership

    return JoinedRead(
        Membership,
        related=("user", "organization"),
        where=(("user", api_settings.USER_ID_FIELD), (None, "organization")),
    )


class JWTAuthentication(authentication.JWTAuthentication):
    def authenticate(self, request):
        django_request = getattr(request, "_request", request)
        authenticated = getattr(django_request, AUTHENTICATED_ATTRIBUTE, None)
        if authenticated is not None:
            return authenticated
        self.django_request = django_request
        return super().authenticate(request)

    def get_user(self, validated_token):
        # Imported here: DRF imports this class while its own views module loads.
        from api.tenancy import remember_membership

        membership = self.header_membership(validated_token)
        if membership is None or api_settings.CHECK_REVOKE_TOKEN:
            # No header, not a member there, or a check this shortcut does not make: the
            # library's own lookup (and the role check resolves or refuses the membership).
            return super().get_user(validated_token)
        user = membership.user
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed("User is inactive", code="user_inactive")
        remember_membership(self.django_request, membership)
        return user

    def header_membership(self, validated_token):
        from api.tenancy import organization_id_in

        request = getattr(self, "django_request", None)
        header = request.headers.get("X-Organization") if request is not None else None
        organization_id = organization_id_in(header) if header is not None else None
        user_id = validated_token.get(api_settings.USER_ID_CLAIM)
        if organization_id is None or user_id is None:
            return None
        return membership_read().first(user_id, organization_id)

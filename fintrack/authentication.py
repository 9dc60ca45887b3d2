"""JWT authentication that reuses the result the idempotency middleware already computed.

`fintrack.idempotency` must know the user before the view runs (a key belongs to a user),
so it authenticates the bearer token itself. Without this class DRF would then validate the
same token and load the same user a second time; here it takes the middleware's result,
which came from the same `Authorization` header of the same request.
"""

from rest_framework_simplejwt import authentication

# Attribute of the Django HttpRequest where the middleware leaves its (user, token) pair.
AUTHENTICATED_ATTRIBUTE = "_fintrack_jwt_authenticated"


def remember(request, authenticated) -> None:
    """Called by the middleware with a successful `(user, validated_token)`."""
    setattr(request, AUTHENTICATED_ATTRIBUTE, authenticated)


class JWTAuthentication(authentication.JWTAuthentication):
    def authenticate(self, request):
        django_request = getattr(request, "_request", request)
        authenticated = getattr(django_request, AUTHENTICATED_ATTRIBUTE, None)
        if authenticated is not None:
            return authenticated
        return super().authenticate(request)

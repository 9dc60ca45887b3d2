"""Authentication, the current organization's settings and its members (spec 2)."""

from django.db import IntegrityError, transaction
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, mixins, permissions, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenObtainPairView

from accounts.exceptions import UserNotFound
from accounts.mail import queue_password_reset_email, queue_verification_code_email
from accounts.models import ADMIN_ONLY, ALL_ROLES, Membership, Organization, User
from accounts.passwords import user_for_reset_token
from accounts.serializers import (
    AcceptedSerializer,
    LogoutInputSerializer,
    MembershipCreateInputSerializer,
    MembershipSerializer,
    MembershipUpdateInputSerializer,
    MeSerializer,
    OrganizationSerializer,
    PasswordChangeInputSerializer,
    PasswordResetConfirmInputSerializer,
    PasswordResetInputSerializer,
    RegisterInputSerializer,
    RegisterResponseSerializer,
    VerifyEmailInputSerializer,
    validated_password,
)
from accounts.throttles import (
    EmailThrottle,
    LoginThrottle,
    PasswordChangeThrottle,
    RegisterThrottle,
)
from api.tenancy import OrganizationScopedMixin


def token_pair(user) -> dict:
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


class RegisterView(APIView):
    """Sign up: a new user, their organization and their admin membership, all or nothing."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [RegisterThrottle]

    @extend_schema(
        request=RegisterInputSerializer, responses={201: RegisterResponseSerializer}, auth=[]
    )
    def post(self, request):
        data = RegisterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        try:
            with transaction.atomic():
                user, organization = self._create_all(fields)
        except IntegrityError as error:
            # Two sign-ups with one e-mail at once: the unique index decides, same 400.
            raise exceptions.ValidationError(
                {"email": ["A user with this e-mail address already exists."]}, code="unique"
            ) from error
        body = {
            "user": {"id": user.pk, "email": user.email, "name": user.name},
            "organization": {
                "id": organization.pk,
                "name": organization.name,
                "base_currency": organization.base_currency,
            },
            **token_pair(user),
        }
        return Response(RegisterResponseSerializer(body).data, status=status.HTTP_201_CREATED)

    @staticmethod
    def _create_all(fields):
        user = User(email=fields["email"], name=fields["name"])
        user.set_password(fields["password"])
        user.save()
        # From here on the new user is the actor of their own sign-up in the history.
        organization = Organization.register(
            admin=user, name=fields["organization_name"], base_currency=fields["base_currency"]
        )
        # Spec 20: a 6-digit code proves the address; sent once the sign-up commits.
        queue_verification_code_email(user)
        return user, organization


class LoginView(TokenObtainPairView):
    """`{email, password}` -> `{access, refresh}`; e-mail is case-insensitive."""

    throttle_classes = [LoginThrottle]


class LogoutView(APIView):
    """Blacklist one of the caller's refresh tokens."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=LogoutInputSerializer, responses={204: None})
    def post(self, request):
        data = LogoutInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            token = RefreshToken(data.validated_data["refresh"])
        except TokenError as error:
            raise exceptions.ValidationError(
                {"refresh": [str(error)]}, code="token_not_valid"
            ) from error
        if str(token.get(jwt_settings.USER_ID_CLAIM)) != str(request.user.pk):
            # Only your own sessions can be ended through this endpoint.
            raise exceptions.ValidationError(
                {"refresh": ["This token does not belong to you."]}, code="token_not_valid"
            )
        token.blacklist()
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeView(APIView):
    """The signed-in user's new password, given the current one."""

    permission_classes = [permissions.IsAuthenticated]
    throttle_classes = [PasswordChangeThrottle]

    @extend_schema(
        request=PasswordChangeInputSerializer,
        responses={204: None},
        description="400 `wrong_password` when `current_password` is not right; a 400 on "
        "`new_password` lists what Django's password validators found.",
    )
    def post(self, request):
        data = PasswordChangeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        new_password = validated_password(fields["new_password"], request.user)
        request.user.change_password(
            current_password=fields["current_password"], new_password=new_password
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


RESET_ACCEPTED = {
    "detail": "If an account has this e-mail address, a link to reset its password was sent."
}


class PasswordResetView(APIView):
    """E-mail a single-use, one-hour reset link, if the address belongs to an account."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [EmailThrottle]

    @extend_schema(
        request=PasswordResetInputSerializer,
        responses={202: AcceptedSerializer},
        auth=[],
        description="The same 202 for known and unknown addresses, so the answer does not "
        "tell who has an account. The link follows PASSWORD_RESET_URL.",
    )
    def post(self, request):
        data = PasswordResetInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = User.objects.filter(
            email__iexact=data.validated_data["email"], is_active=True
        ).first()
        if user is not None and user.has_usable_password():
            queue_password_reset_email(user)
        return Response(RESET_ACCEPTED, status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(APIView):
    """Set a new password with the e-mailed token; every session of the user ends."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [LoginThrottle]

    @extend_schema(
        request=PasswordResetConfirmInputSerializer,
        responses={204: None},
        auth=[],
        description="400 `invalid_token` for a malformed, used or expired token (one hour); "
        "a 400 on `new_password` lists what the password validators found.",
    )
    def post(self, request):
        data = PasswordResetConfirmInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_for_reset_token(data.validated_data["token"])
        new_password = validated_password(data.validated_data["new_password"], user)
        user.reset_password(new_password=new_password)
        return Response(status=status.HTTP_204_NO_CONTENT)


class VerifyEmailView(APIView):
    """Prove the e-mail address with the 6-digit code sent at sign-up (or resent)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        request=VerifyEmailInputSerializer,
        responses={204: None},
        description="400 `invalid_code` for a wrong code; 400 `code_expired` after 24 hours "
        "or 5 wrong codes (ask for a new one). Already verified: 204.",
    )
    def post(self, request):
        data = VerifyEmailInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        request.user.verify_email(data.validated_data["code"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class VerifyEmailResendView(APIView):
    """A new code by e-mail (the previous one stops working)."""

    permission_classes = [permissions.IsAuthenticated]
    throttle_classes = [EmailThrottle]

    @extend_schema(request=None, responses={202: AcceptedSerializer})
    def post(self, request):
        if not request.user.email_verified:
            queue_verification_code_email(request.user)
        return Response(
            {"detail": "A new verification code was sent unless the address is verified."},
            status=status.HTTP_202_ACCEPTED,
        )


class MeView(generics.RetrieveAPIView):
    """The signed-in user and every organization they belong to (no X-Organization needed)."""

    serializer_class = MeSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_object(self):
        return User.objects.prefetch_related("memberships__organization").get(
            pk=self.request.user.pk
        )


class OrganizationView(OrganizationScopedMixin, generics.RetrieveUpdateAPIView):
    """The request's organization: any member reads it, admins change it."""

    queryset = Organization.objects.all()
    serializer_class = OrganizationSerializer
    read_roles = ALL_ROLES
    write_roles = ADMIN_ONLY
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        # A singleton resource: the object *is* the tenant the kernel resolved from
        # X-Organization and the caller's membership (read in this request), so there is
        # nothing else to look up or filter.
        organization = self.request.organization
        self.check_object_permissions(self.request, organization)
        return organization

    def perform_update(self, serializer):
        serializer.instance._history_user = self.request.user
        serializer.save()


class MembershipViewSet(
    OrganizationScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Members of the request's organization (admins only)."""

    queryset = Membership.objects.select_related("user")
    serializer_class = MembershipSerializer
    read_roles = ADMIN_ONLY
    write_roles = ADMIN_ONLY

    @extend_schema(request=MembershipCreateInputSerializer, responses={201: MembershipSerializer})
    def create(self, request):
        data = MembershipCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # Inactive accounts (e.g. the system actor) cannot log in, so they are not offered.
        user = User.objects.filter(
            email__iexact=data.validated_data["email"], is_active=True
        ).first()
        if user is None:
            raise UserNotFound(attr="email")
        membership = Membership.add(
            organization=self.organization,
            user=user,
            role=data.validated_data["role"],
            actor=request.user,
        )
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MembershipUpdateInputSerializer, responses={200: MembershipSerializer})
    def partial_update(self, request, pk=None):
        membership = self.get_object()
        # PATCH semantics, as the schema states and as every other PATCH here: each field
        # optional; no role, no change.
        data = MembershipUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        if "role" in data.validated_data:
            membership.change_role(role=data.validated_data["role"], actor=request.user)
        return Response(MembershipSerializer(membership).data)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        self.get_object().remove(actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

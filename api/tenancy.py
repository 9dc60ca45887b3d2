"""The shared API kernel: tenancy, roles, optimistic concurrency and pagination.

Every tenant-owned endpoint derives from `OrganizationViewSet` (or mixes in
`OrganizationScopedMixin`), so scoping to the request's organization is inherited, not
re-written: objects of another organization are 404 and never listed.
"""

import functools

from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, permissions, viewsets

from accounts.models import ALL_ROLES, WRITE_ROLES, Membership
from api.filters import refuse_blank_query_params
from api.request_log import bind_organization
from core.compiled_query import CompiledQuery
from core.errors import ConcurrentModification, PreconditionFailed
from core.transactions import current_request_transaction, mark_locked

ORGANIZATION_HEADER = OpenApiParameter(
    "X-Organization",
    OpenApiTypes.INT,
    OpenApiParameter.HEADER,
    description="Organization id; optional when the user belongs to exactly one.",
)


class OrganizationRequired(exceptions.ValidationError):
    default_code = "organization_required"
    default_detail = "You belong to several organizations: send the X-Organization header."

    def __init__(self):
        super().__init__(detail=self.default_detail, code=self.default_code)


def resolve_membership(request) -> Membership:
    """The membership the request acts through (spec 2: `X-Organization`)."""
    memberships = Membership.objects.filter(user=request.user).select_related("organization")
    header = request.headers.get("X-Organization")
    if header is None:
        found = list(memberships[:2])
        if len(found) == 1:
            return found[0]
        if found:
            raise OrganizationRequired()
        raise exceptions.PermissionDenied("You are not a member of any organization.")
    organization_id = organization_id_in(header)
    membership = (
        memberships.filter(organization_id=organization_id).first() if organization_id else None
    )
    if membership is None:
        raise exceptions.PermissionDenied("You are not a member of this organization.")
    return membership


def organization_id_in(header: str) -> str | None:
    """The organization id an `X-Organization` header names, or None if it names none.

    ASCII digits that fit a bigint only: "²" or a 500-digit id must be a 403, not a 500;
    an empty header names no organization either (it is not "no header")."""
    header = header.strip()
    return header if header.isascii() and header.isdigit() and len(header) <= 18 else None


def remember_membership(request, membership: Membership) -> None:
    """Set the membership the request acts through (on the Django request, which DRF's
        request reads through), so `HasOrganizationRole` does not resolve it again; the request
    log names the organization from here on."""
    request.membership = membership
    request.organization = membership.organization
    bind_organization(membership.organization_id)


class HasOrganizationRole(permissions.BasePermission):
    """Resolves `request.organization` / `request.membership`, then checks the view's roles.

    Views declare `read_roles`, `write_roles` and, per action, `action_roles`.
    """

    message = "Your role in this organization does not allow this action."

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        if getattr(request, "membership", None) is None:
            remember_membership(request, resolve_membership(request))
        return request.membership.role in view.allowed_roles()


def if_match_versions(request) -> set[str] | None:
    header = request.headers.get("If-Match")
    if header is None:
        return None
    tags = set()
    for tag in header.split(","):
        tag = tag.strip()
        tag = tag.removeprefix("W/")
        tags.add(tag.strip('"'))
    return tags


class OrganizationScopedMixin:
    """Tenant scoping, role checks and If-Match/ETag for a DRF view.

    - `get_queryset` keeps only rows whose `organization_field` is the request's
      organization (the one place a tenant filter is written).
    - Unsafe requests on an object whose `version` does not match `If-Match` -> 412.
    - Detail responses carry `ETag: "<version>"`.
    """

    permission_classes = [permissions.IsAuthenticated, HasOrganizationRole]
    organization_field = "organization"
    read_roles = ALL_ROLES
    write_roles = WRITE_ROLES
    action_roles: dict[str, frozenset] = {}
    # Unsafe actions whose model method starts by locking the object (`VersionedModel.lock`).
    lock_object_actions: frozenset[str] = frozenset()
    # Actions that send invoices or move money (spec 20): with EMAIL_VERIFICATION=required
    # a user whose e-mail is not verified is refused them (403 `email_not_verified`).
    money_actions: frozenset[str] = frozenset()
    # A view whose queryset is its model's plain rows (`get_queryset` not overridden) may
    # read a lock action's object by `locked_row`, the same statement compiled once; a
    # request with a query string (filter backends at work) still builds it.
    compiled_lock_read = False

    def allowed_roles(self):
        action = getattr(self, "action", None)
        if action in self.action_roles:
            return self.action_roles[action]
        if self.request.method in permissions.SAFE_METHODS:
            return self.read_roles
        return self.write_roles

    @property
    def organization(self):
        return self.request.organization

    def get_queryset(self):
        queryset = super().get_queryset()
        if getattr(self, "swagger_fake_view", False):
            return queryset.none()
        queryset = queryset.filter(**{self.organization_field: self.request.organization})
        if getattr(self, "_lock_object", False):
            queryset = queryset.select_for_update(of=("self",))
        return queryset

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # After authentication and roles: a stranger learns nothing from a 400.
        refuse_blank_query_params(request)
        if getattr(self, "action", None) in self.money_actions:
            request.user.ensure_email_verified()

    def get_object(self):
        if self.request.method in permissions.SAFE_METHODS:
            return super().get_object()
        # Actions whose model method locks the object first anyway (`lock_object_actions`)
        # take the lock here, in the request-wide transaction, so the row is read once.
        locks_for_action = (
            getattr(self, "action", None) in self.lock_object_actions
            and current_request_transaction() is not None
        )
        self._lock_object = locks_for_action
        try:
            if locks_for_action and self.compiled_lock_read and not self.request.query_params:
                obj = self.read_locked()
            else:
                obj = super().get_object()
        finally:
            self._lock_object = False
        if locks_for_action:
            mark_locked(obj)
        self.check_if_match(obj)
        share_request_organization(obj, self.organization_field, self.request.organization)
        return obj

    def read_locked(self) -> Model:
        """DRF's `get_object` for a lock action, its read by `locked_row`: 404 for an id
        that is not one (as `get_object_or_404`) or names no row of the organization."""
        model = self.queryset.model
        pk_field = model._meta.pk
        try:
            pk = pk_field.to_python(self.kwargs[self.lookup_url_kwarg or self.lookup_field])
            pk_field.run_validators(pk)  # the column's range: no overflow in the driver
        except ValidationError:
            raise Http404 from None
        found = locked_row(model, self.organization_field).objects(
            organization=self.request.organization.pk, pk=pk
        )
        if not found:
            raise Http404
        self.check_object_permissions(self.request, found[0])
        return found[0]

    def check_if_match(self, obj: Model):
        """Refuse early a stale If-Match; the command checks it again on the row it locks
        (`expected_version`), so no write can land between the check and the change."""
        expected = if_match_versions(self.request)
        version = getattr(obj, "version", None)
        if expected is None or version is None or "*" in expected:
            return
        if str(version) not in expected:
            raise PreconditionFailed()

    def expected_version(self, obj: Model) -> int | None:
        """The version the client's If-Match names for `obj` (None without one, or `*`),
        for the command to check on the row it locks. `get_object` has already refused an
        If-Match `obj`'s version is not in, so that version is the one the client saw."""
        expected = if_match_versions(self.request)
        if expected is None or "*" in expected:
            return None
        return getattr(obj, "version", None)

    def handle_exception(self, exc):
        # Under If-Match, a command that finds the row at another version than the client
        # named answers as the precondition it is (412), not as a lost race (409).
        if isinstance(exc, ConcurrentModification) and self.if_match_names_a_version():
            exc = PreconditionFailed()
        return super().handle_exception(exc)

    def if_match_names_a_version(self) -> bool:
        expected = if_match_versions(self.request)
        return expected is not None and "*" not in expected

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        data = getattr(response, "data", None)
        if (
            getattr(self, "detail", False)
            and 200 <= response.status_code < 300
            and isinstance(data, dict)
            and "version" in data
        ):
            response["ETag"] = f'"{data["version"]}"'
        return response


@functools.cache
def locked_row(model, organization_field: str) -> CompiledQuery:
    """`model`'s row by id within an organization, `FOR UPDATE` of its own table: the read
    `get_object` makes for a lock action on a view of plain rows, compiled once."""
    return CompiledQuery(
        model,
        lambda organization, pk: (
            model._default_manager.filter(**{organization_field: organization})
            .select_for_update(of=("self",))
            .filter(pk=pk)
            .order_by()
        ),
        organization=model._meta.get_field(organization_field),
        pk=model._meta.pk,
    )


def share_request_organization(obj: Model, organization_field: str, organization) -> None:
    """The tenant filter proved `obj`'s organization is the request's: hand the writes that
    follow (the organization's "today", its prefix) that object instead of a re-read."""
    field = obj._meta.get_field(organization_field) if "__" not in organization_field else None
    if field is not None and getattr(obj, field.attname) == organization.pk:
        field.set_cached_value(obj, organization)


class OrganizationViewSet(OrganizationScopedMixin, viewsets.ModelViewSet):
    """ModelViewSet scoped to the request's organization."""

"""Shared base classes of the admin back office (spec 12).

Permissions in the back office follow the API's role matrix, per organization, instead of
Django's global model permissions: a staff user sees the rows of the organizations they
are a member of (any role), changes them with a write role (`write_roles`, admin and
finance by default) and nothing of any other organization. Superusers see and do all.

Every state change goes through the same model methods as the API, so the same rules and
locks apply; a refused operation (`DomainError`) becomes an error message, never a
traceback, and changes nothing (each method is its own transaction).
"""

import functools

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import ALL_ROLES, WRITE_ROLES, Membership, Organization, User
from core.errors import DomainError
from core.money import MONEY_DIGITS, NotANumber, parse_decimal

ACTION_FORM_TEMPLATE = "fintrack_admin/action_form.html"


def member_roles(request) -> dict[int, str]:
    """`{organization id: role}` of the requesting user, read once per request."""
    if not hasattr(request, "_fintrack_member_roles"):
        request._fintrack_member_roles = dict(
            Membership.objects.filter(user_id=request.user.pk).values_list(
                "organization_id", "role"
            )
        )
    return request._fintrack_member_roles


def organization_ids(request, roles=ALL_ROLES) -> set[int]:
    return {org_id for org_id, role in member_roles(request).items() if role in roles}


class TenantRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """ "By organization" offering only the staff user's own organizations (superusers: all).

    Django's related filter lists every row of the related model: every tenant's name and
    id on every staff user's page.
    """

    def field_choices(self, field, request, model_admin):
        if request.user.is_superuser:
            return super().field_choices(field, request, model_admin)
        return field.get_choices(
            include_blank=False,
            ordering=self.field_admin_ordering(field, request, model_admin),
            limit_choices_to={"pk__in": organization_ids(request)},
        )


class VersionedAdminForm(forms.ModelForm):
    """Carries the version the staff member loaded: saving the page after someone else
    changed the row is refused (`concurrent_modification`) instead of overwriting them."""

    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["loaded_version"].initial = self.instance.version

    @property
    def expected_version(self) -> int | None:
        """The version the page was loaded at, for the command (or save) to check on the
        row it writes; the instance's own `version` stays the one read from the database."""
        if not self.instance.pk:
            return None
        return self.cleaned_data.get("loaded_version")


class OrganizationScopedAdminMixin:
    """Tenant scoping and role checks for a ModelAdmin (or an inline).

    `organization_field` is the model's path to its organization ("organization", or "id"
    on Organization itself). Subclasses with another shape override `scope` and
    `organizations_of`.
    """

    organization_field = "organization"
    write_roles = WRITE_ROLES
    # Actions that send invoices or move money (spec 20), refused like the API's to a
    # user whose e-mail is not verified when EMAIL_VERIFICATION=required.
    money_actions: frozenset[str] = frozenset()

    # --- scoping ------------------------------------------------------------------------

    def scope(self, queryset, org_ids):
        return queryset.filter(**{f"{self.organization_field}__in": org_ids})

    def organizations_of(self, obj) -> set[int]:
        if self.organization_field == "id":
            return {obj.pk}
        return {getattr(obj, f"{self.organization_field}_id")}

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return self.scope(queryset, organization_ids(request))

    def get_list_filter(self, request):
        """Every filter on an organization is the tenant filter, whatever the admin wrote."""
        return [
            (entry, TenantRelatedFieldListFilter) if self._names_organization(entry) else entry
            for entry in super().get_list_filter(request)
        ]

    def _names_organization(self, entry) -> bool:
        if not isinstance(entry, str) or "__" in entry:
            return False
        field = next((f for f in self.model._meta.fields if f.name == entry), None)
        return field is not None and field.related_model is Organization

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """Choices of another organization's rows are never offered (nor accepted)."""
        if not request.user.is_superuser:
            related = db_field.related_model
            writable = organization_ids(request, self.write_roles)
            if related is Organization:
                kwargs["queryset"] = Organization.objects.filter(pk__in=writable)
            elif related is User:
                kwargs["queryset"] = User.objects.filter(
                    pk__in=Membership.objects.filter(organization__in=writable).values("user")
                )
            elif any(field.name == "organization" for field in related._meta.fields):
                kwargs["queryset"] = related._default_manager.filter(organization__in=writable)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # --- permissions --------------------------------------------------------------------

    def can_read(self, request, obj=None) -> bool:
        if request.user.is_superuser:
            return True
        readable = organization_ids(request)
        return bool(readable) if obj is None else bool(self.organizations_of(obj) & readable)

    def can_write(self, request, obj=None) -> bool:
        if request.user.is_superuser:
            return True
        writable = organization_ids(request, self.write_roles)
        return bool(writable) if obj is None else bool(self.organizations_of(obj) & writable)

    def has_module_permission(self, request):
        return self.can_read(request)

    def has_view_permission(self, request, obj=None):
        return self.can_read(request, obj)

    def has_add_permission(self, request, *args):
        return self.can_write(request)

    def has_change_permission(self, request, obj=None):
        return self.can_write(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.can_write(request, obj)

    def has_write_permission(self, request):
        """For actions: `@admin.action(permissions=["write"])`."""
        return self.can_write(request)


class OrganizationScopedAdmin(OrganizationScopedAdminMixin, SimpleHistoryAdmin):
    """Scoped admin of a history-tracked model; its history is browsable, never revertable."""

    list_per_page = 50

    def get_actions(self, request):
        actions = super().get_actions(request)
        # A bulk `queryset.delete()` would bypass the model methods and their rules.
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        if isinstance(form, VersionedAdminForm):
            # Refused (409) when the row is no longer at the version the page loaded.
            obj.save(expected_version=form.expected_version)
        else:
            super().save_model(request, obj, form, change)

    def changeform_view(self, request, *args, **kwargs):
        try:
            return super().changeform_view(request, *args, **kwargs)
        except DomainError as error:
            # Raised inside the admin's transaction, so everything it wrote is rolled back.
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, *args, **kwargs):
        try:
            return super().delete_view(request, *args, **kwargs)
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    # History is evidence: it can be read but never written back ("revert").
    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "GET":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    # --- actions ------------------------------------------------------------------------

    def response_action(self, request, queryset):
        # Both the action's first POST and its form page's "apply" come through here.
        if request.POST.get("action") in self.money_actions:
            try:
                request.user.ensure_email_verified()
            except DomainError as error:
                self.message_user(request, error.message, messages.ERROR)
                return HttpResponseRedirect(request.get_full_path())
        return super().response_action(request, queryset)

    def apply_to_each(self, request, queryset, operation, done_message: str):
        """Run `operation(obj)` on each selected row the user may change.

        The queryset is already scoped (Django builds it from `get_queryset`); the role is
        checked per row. Each model method is atomic: a refused row changes nothing.
        """
        done = 0
        for obj in queryset:
            if not self.can_write(request, obj):
                self.message_user(request, f"{obj}: your role does not allow this.", messages.ERROR)
                continue
            try:
                operation(obj)
            except DomainError as error:
                self.message_user(request, f"{obj}: {error.message}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, done_message.format(count=done), messages.SUCCESS)


class ViewOnlyMixin:
    """No add, change or delete: the rows are written by the system or by actions only."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyOrganizationScopedAdmin(
    ViewOnlyMixin, OrganizationScopedAdminMixin, admin.ModelAdmin
):
    """Scoped, view-only admin for rows only the system writes (counters, reminder log)."""

    actions = None


class ReadOnlyInline(ViewOnlyMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True


class AmountField(forms.DecimalField):
    """An amount typed into an admin form, read with the API's one number grammar
    (`core.money.parse_decimal`). Django's own reading goes through `Decimal()`, which
    also takes "+5", "1_000" or non-ASCII digits: the model command would then receive a
    number the API refuses. Surrounding spaces are stripped, as in every admin text box."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", MONEY_DIGITS)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return parse_decimal(str(value).strip())
        except NotANumber:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


def form_action(form_class: type[forms.Form], *, description: str, single: bool = False):
    """An admin action that first asks for `form_class` on an intermediate page.

    The decorated method is `(self, request, obj, data)`; it runs for each selected row
    once the form is valid, through `apply_to_each`. `single=True` needs exactly one row
    (an amount makes sense for one invoice at a time).
    """

    def decorator(method):
        @admin.action(description=description, permissions=["write"])
        @functools.wraps(method)
        def action(self, request, queryset):
            if single and queryset.count() != 1:
                self.message_user(
                    request, "Select exactly one row for this action.", messages.ERROR
                )
                return None
            form = form_class(request.POST if "apply" in request.POST else None)
            if form.is_valid():
                self.apply_to_each(
                    request,
                    queryset,
                    lambda obj: method(self, request, obj, form.cleaned_data),
                    f"{description}: done for {{count}} row(s).",
                )
                return None
            context = {
                **self.admin_site.each_context(request),
                "title": description,
                "opts": self.model._meta,
                "form": form,
                "queryset": queryset,
                "action": method.__name__,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            }
            return render(request, ACTION_FORM_TEMPLATE, context)

        return action

    return decorator

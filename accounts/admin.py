from django.contrib import admin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import ADMIN_ONLY, Membership, Organization, User
from fintrack.admin import OrganizationScopedAdmin, organization_ids


class UserCreationForm(auth_forms.AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "name")


class UserChangeForm(auth_forms.UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "user"
    extra = 0
    can_delete = False
    fields = ("organization", "role", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        # Staff see a user's memberships of their own organizations only.
        queryset = super().get_queryset(request).select_related("organization")
        if request.user.is_superuser:
            return queryset
        return queryset.filter(organization__in=organization_ids(request))


@admin.register(User)
class UserAdmin(OrganizationScopedAdmin, DjangoUserAdmin):
    """Staff see the users of their organizations, read-only; only superusers manage users
    (a user row carries is_staff/is_superuser, so an organization admin must not edit it)."""

    form = UserChangeForm
    add_form = UserCreationForm
    write_roles = frozenset()
    list_display = ("email", "name", "is_active", "is_staff", "is_superuser", "date_joined")
    list_filter = ("is_active", "is_staff", "is_superuser")
    search_fields = ("email", "name")
    ordering = ("email",)
    date_hierarchy = "date_joined"
    inlines = [MembershipInline]
    # The password appears only as Django's hash widget (algorithm and a masked hash),
    # and only to superusers.
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("name",)}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    staff_fieldsets = (
        (None, {"fields": ("email", "name")}),
        ("Status", {"fields": ("is_active", "is_staff", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "name", "usable_password", "password1", "password2"),
            },
        ),
    )

    def scope(self, queryset, org_ids):
        return queryset.filter(
            pk__in=Membership.objects.filter(organization__in=org_ids).values("user")
        )

    def organizations_of(self, obj) -> set[int]:
        return set(obj.memberships.values_list("organization_id", flat=True))

    def get_fieldsets(self, request, obj=None):
        if obj is not None and not request.user.is_superuser:
            return self.staff_fieldsets
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if not request.user.is_superuser:
            return ("email", "name", "is_active", "is_staff", "date_joined")
        return super().get_readonly_fields(request, obj)


@admin.register(Organization)
class OrganizationAdmin(OrganizationScopedAdmin):
    """Organization settings: changed by its admins; created and deleted by superusers."""

    organization_field = "id"
    write_roles = ADMIN_ONLY
    list_display = ("name", "base_currency", "invoice_prefix", "payment_terms_days", "created_at")
    list_filter = ("base_currency",)
    search_fields = ("name", "tax_id", "email")
    date_hierarchy = "created_at"
    readonly_fields = ("created_at", "updated_at")

    def has_add_permission(self, request, *args):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Membership)
class MembershipAdmin(OrganizationScopedAdmin):
    """Memberships change through the model's methods, so the last-admin rule holds here."""

    write_roles = ADMIN_ONLY
    list_display = ("user", "organization", "role", "created_at")
    list_filter = ("role", "organization")
    list_select_related = ("user", "organization")
    search_fields = ("user__email", "user__name", "organization__name")
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return ("user", "organization", "created_at")
        return ("created_at",)

    def save_model(self, request, obj, form, change):
        if change:
            obj.change_role(role=obj.role, actor=request.user)
        else:
            created = Membership.add(
                organization=obj.organization, user=obj.user, role=obj.role, actor=request.user
            )
            obj.pk, obj.created_at = created.pk, created.created_at

    def delete_model(self, request, obj):
        obj.remove(actor=request.user)

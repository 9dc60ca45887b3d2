"""The admin site: staff sign in with a TOTP code as well as their password (spec 20).

With `ADMIN_REQUIRE_OTP` (on in production) the login form asks for the code of one of
the staff member's TOTP devices (`manage.py add_totp_device EMAIL`), and a session that
did not pass that check is treated as not staff. The setting is read per request, so a
test can switch it.
"""

from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django_otp import devices_for_user
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite


class OTPLoginForm(OTPAdminAuthenticationForm):
    """E-mail, password and the code, in one step for the usual staff member with one
    authenticator: django-otp would first make them pick it from a list of one."""

    def clean_otp(self, user):
        if user is not None and not self.cleaned_data.get("otp_device"):
            devices = list(devices_for_user(user, confirmed=True))
            if len(devices) == 1:
                self.cleaned_data["otp_device"] = devices[0].persistent_id
        super().clean_otp(user)


class FinTrackAdminSite(OTPAdminSite):
    # The index is the finance staff's dashboard (spec 17, backoffice/dashboard.py).
    index_template = "backoffice/dashboard.html"

    def __init__(self, name="admin"):
        # Keep the URL namespace "admin": reverse("admin:...") works as before.
        super().__init__(name)

    @property
    def login_form(self):
        return OTPLoginForm if settings.ADMIN_REQUIRE_OTP else AdminAuthenticationForm

    @property
    def login_template(self):
        # The OTP form needs django-otp's template (device choice and token field).
        return OTPAdminSite.login_template if settings.ADMIN_REQUIRE_OTP else None

    def has_permission(self, request):
        if settings.ADMIN_REQUIRE_OTP:
            return super().has_permission(request)
        return AdminSite.has_permission(self, request)

    def index(self, request, extra_context=None):
        from backoffice.dashboard import dashboard

        context = {"dashboard_sections": dashboard(request), **(extra_context or {})}
        return super().index(request, context)

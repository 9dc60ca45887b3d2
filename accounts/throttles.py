"""Login throttling per (client IP, e-mail) pair (spec 2: 10 a minute -> 429 + Retry-After).

The API's login and the admin's share one counter per pair (spec 12): ten wrong passwords
in one of them also close the other for the rest of the minute.
"""

import hashlib
import math

from django.contrib import admin
from django.http import HttpResponse
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from api.client_ip import client_ip


class LoginThrottle(SimpleRateThrottle):
    """Counts every attempt for one e-mail from one client, successful or not.

    Keying on the pair means guessing one account's password from one machine is slowed
    down, while other users behind the same NAT keep logging in normally.
    """

    scope = "login"

    def get_rate(self):
        # Read at request time (not class creation) so the setting can be changed in tests.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def get_ident(self, request):
        # X-Forwarded-For only as far as TRUSTED_PROXY_COUNT proxies: trusting it blindly
        # would let a client pick a new "IP" for every attempt and never be throttled.
        return client_ip(request)

    def get_cache_key(self, request, view):
        data = request.data if isinstance(request.data, dict) else {}
        email = data.get("email")
        email = email.strip().lower() if isinstance(email, str) else ""
        # Hashed: the e-mail is client input of any length, cache keys are not.
        pair = hashlib.sha256(f"{self.get_ident(request)}|{email}".encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": pair}


class RegisterThrottle(LoginThrottle):
    """Sign-ups at the login rate, but counted apart from logins: registering must not use
    up the new account's login attempts."""

    scope = "register"

    def get_rate(self):
        rates = api_settings.DEFAULT_THROTTLE_RATES
        return rates.get(self.scope, rates[LoginThrottle.scope])


class EmailThrottle(LoginThrottle):
    """E-mails sent on request (password reset, a new verification code), per client and
    e-mail address: the same answer for unknown addresses, so it counts those too."""

    scope = "email"

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def get_cache_key(self, request, view):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # A signed-in user's own address (resending the verification code).
            request = _FormLogin(request, user.email)
        return super().get_cache_key(request, view)


class PasswordChangeThrottle(LoginThrottle):
    """Guesses of the current password count like login attempts of the same account: a
    stolen access token must not become an unthrottled password oracle."""

    def get_cache_key(self, request, view):
        return super().get_cache_key(_FormLogin(request, request.user.email), view)


class _FormLogin:
    """A login form's POST as LoginThrottle reads an API login: client address and e-mail."""

    def __init__(self, request, email):
        self.META = request.META
        self.data = {"email": email}


def throttled_admin_login(request, extra_context=None):
    """The admin's login page, counted with the API's logins (`admin/login/` in urls.py).

    Every POST counts, successful or not, as on the API; once the pair is over the rate
    even the right password is refused with 429 and Retry-After.
    """
    if request.method == "POST":
        throttle = LoginThrottle()
        if not throttle.allow_request(_FormLogin(request, request.POST.get("username")), None):
            wait = math.ceil(throttle.wait() or 1)
            response = HttpResponse(
                f"Too many login attempts. Try again in {wait} seconds.",
                status=429,
                content_type="text/plain; charset=utf-8",
            )
            response["Retry-After"] = str(wait)
            return response
    return admin.site.login(request, extra_context)

"""`manage.py add_totp_device EMAIL`: give a staff member a TOTP device for the admin.

Prints the otpauth:// URL to enter (or turn into a QR code) in an authenticator app. The
URL carries the device's secret: show it to that staff member only.
"""

from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User


class Command(BaseCommand):
    help = "Create a TOTP device for a staff user and print its otpauth:// URL."

    def add_arguments(self, parser):
        parser.add_argument("email", help="The staff member's e-mail address.")
        parser.add_argument(
            "--name", default="authenticator", help="A name for the device (default: %(default)s)."
        )

    def handle(self, *args, email, name, **options):
        user = User.objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user has the e-mail address {email!r}.")
        if not user.is_staff:
            raise CommandError(f"{user.email} is not staff: the admin would refuse them anyway.")
        # Confirmed at once: the operator hands the URL over in person (or by a safe channel).
        device = TOTPDevice.objects.create(user=user, name=name, confirmed=True)
        self.stdout.write(device.config_url)
        self.stderr.write(
            f"TOTP device {name!r} added for {user.email}. Enter the URL above in an "
            "authenticator app; it holds the secret, so share it with that person only."
        )

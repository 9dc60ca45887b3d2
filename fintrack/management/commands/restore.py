from django.core.management.base import BaseCommand, CommandError

from fintrack.backup import BackupError
from fintrack.backup.archive import restore_backup


class Command(BaseCommand):
    help = (
        "Restore a `backup` archive into the configured database (DATABASE_URL) and "
        "MEDIA_ROOT. Checks every checksum first; refuses another database vendor and a "
        "database that holds data (unless --force); then checks every table's row count."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="an archive written by `manage.py backup`")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a database that already holds data (everything in it is lost)",
        )

    def handle(self, *args, file, force=False, **options):
        try:
            manifest = restore_backup(file, force=force)
        except BackupError as error:
            raise CommandError(str(error)) from error
        counts = manifest["row_counts"]
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored the backup of {manifest['created_at']}: {len(counts)} tables, "
                f"{sum(counts.values())} rows (each table's count checked), "
                f"{manifest['media_restored']} media file(s). Run `manage.py migrate` if this "
                "version has newer migrations, then `manage.py verify_ledger`."
            )
        )

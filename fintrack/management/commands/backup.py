from django.core.management.base import BaseCommand, CommandError

from fintrack.backup import BackupError
from fintrack.backup.archive import create_backup


class Command(BaseCommand):
    help = (
        "Write the database (PostgreSQL: pg_dump custom format; SQLite: its online backup "
        "API) and the uploaded files under MEDIA_ROOT to FILE, a .tar.gz with a manifest of "
        "row counts and checksums. Safe while the application runs."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the archive to write, e.g. fintrack-2025-06-30.tar.gz")
        parser.add_argument("--force", action="store_true", help="overwrite FILE if it exists")

    def handle(self, *args, file, force=False, **options):
        try:
            manifest = create_backup(file, force=force)
        except BackupError as error:
            raise CommandError(str(error)) from error
        counts = manifest["row_counts"]
        media = sum(1 for name in manifest["files"] if name.startswith("media/"))
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up {manifest['vendor']}: {len(counts)} tables, "
                f"{sum(counts.values())} rows, {media} media file(s) to {file}."
            )
        )

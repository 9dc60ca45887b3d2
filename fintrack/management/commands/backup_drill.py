from django.core.management.base import BaseCommand, CommandError

from fintrack.backup import BackupError
from fintrack.backup.drill import run_drill


class Command(BaseCommand):
    help = (
        "Prove the backups restore: back up this database, restore the archive into a "
        "fresh scratch database, run verify_ledger there and compare every table's row "
        "count. The scratch database is removed afterwards. Exits 1 on any difference."
    )

    def handle(self, *args, **options):
        try:
            problems = run_drill(lambda line: line and self.stdout.write(line))
        except BackupError as error:
            raise CommandError(f"Backup drill failed: {error}") from error
        if problems:
            raise CommandError("Backup drill failed:\n" + "\n".join(problems))
        self.stdout.write(
            self.style.SUCCESS("Backup drill passed: restored, ledger clean, same row counts.")
        )

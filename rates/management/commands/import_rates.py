"""`manage.py import_rates FILE`: store global exchange rates from an ECB or CSV file."""

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError

from rates.file_import import RateFileError, parse_rate_file, store_global_rates


class Command(BaseCommand):
    help = (
        "Import global exchange rates from an ECB eurofxref XML file (daily or history) or a "
        "CSV file with the header 'date,base,quote,rate' (1 base = rate quote). A rate is "
        "stored only when it differs from the latest stored rate of its pair by 0.000001 or "
        "more, so importing the same file again changes nothing. All or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path of the XML or CSV file.")

    def handle(self, *args, file, **options):
        try:
            with open(file, "rb") as handle:
                content = handle.read()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        try:
            quotes, source = parse_rate_file(content)
        except RateFileError as error:
            raise CommandError(f"{file}: {error} Nothing was imported.") from None
        try:
            result = store_global_rates(quotes, source=source)
        except IntegrityError:
            # Another import stored the same day meanwhile; ours rolled back whole.
            raise CommandError(
                "Another import wrote the same rates at the same time; nothing was imported. "
                "Run the command again."
            ) from None
        self.stdout.write(
            f"{file} ({source}): {result.read} rates read, {result.added} added, "
            f"{result.corrected} corrected, {result.unchanged} unchanged."
        )

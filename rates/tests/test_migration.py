"""Moving `ExchangeRate` from `reports` to `rates` keeps an existing database's rows.

The database is taken back to main's state before the move (`reports.0002`, no `rates`),
a rate is written through that state's model, and the move is applied again. Real
migrations on a real connection: no test transaction may wrap them (SQLite's schema
editor refuses to run inside one).
"""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("reports", "0002_exchangerate_withdrawn_currencies"), ("rates", None)]
AFTER = [("reports", "0003_exchangerate_moves_to_rates"), ("rates", "0001_initial")]


def migrate(targets):
    """Take the two apps to `targets`; the apps registry of the whole project at that point."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    graph = MigrationExecutor(connection).loader.graph
    others = [node for node in graph.leaf_nodes() if node[0] not in ("rates", "reports")]
    return graph.make_state([*others, *(t for t in targets if t[1])]).apps


def test_an_existing_database_keeps_its_rates_table_rows_and_permissions():
    try:
        before = migrate(BEFORE)
        OldRate = before.get_model("reports", "ExchangeRate")
        assert OldRate._meta.db_table == "reports_exchangerate"
        with pytest.raises(LookupError):
            before.get_model("rates", "ExchangeRate")
        Organization = before.get_model("accounts", "Organization")
        old_type = before.get_model("contenttypes", "ContentType").objects.get(
            app_label="reports", model="exchangerate"
        )
        permission_ids = set(
            before.get_model("auth", "Permission")
            .objects.filter(content_type=old_type)
            .values_list("id", flat=True)
        )
        assert len(permission_ids) == 4  # add, change, delete, view
        organization = Organization.objects.create(name="Old rows Ltd")
        stored = OldRate.objects.create(
            organization_id=organization.pk,
            base="EUR",
            quote="USD",
            rate=Decimal("1.0876000001"),
            effective_date=date(2025, 3, 14),
            source="before the move",
        )

        after = migrate(AFTER)
        NewRate = after.get_model("rates", "ExchangeRate")
        with pytest.raises(LookupError):
            after.get_model("reports", "ExchangeRate")
        moved = NewRate.objects.get(pk=stored.pk)
        assert (
            moved.organization_id,
            moved.base,
            moved.quote,
            moved.rate,
            moved.effective_date,
            moved.source,
        ) == (
            organization.pk,
            "EUR",
            "USD",
            Decimal("1.0876000001"),
            date(2025, 3, 14),
            "before the move",
        )
        # The content type was relabelled, so grants of its permissions still hold.
        new_type = after.get_model("contenttypes", "ContentType").objects.get(
            app_label="rates", model="exchangerate"
        )
        assert new_type.pk == old_type.pk
        assert not (
            after.get_model("contenttypes", "ContentType")
            .objects.filter(app_label="reports", model="exchangerate")
            .exists()
        )
        assert (
            set(
                after.get_model("auth", "Permission")
                .objects.filter(content_type=new_type)
                .values_list("id", flat=True)
            )
            == permission_ids
        )
    finally:
        migrate(AFTER)


def test_the_current_model_reads_the_same_table():
    from rates.models import ExchangeRate

    assert ExchangeRate._meta.app_label == "rates"
    assert ExchangeRate._meta.db_table == "reports_exchangerate"

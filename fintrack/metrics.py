"""Prometheus metrics (spec 20): django-prometheus' HTTP figures plus business figures.

The business figures are read from the database when Prometheus scrapes, not counted in
process memory: with several gunicorn workers each process would only know its own share,
and a restart would lose it. The database knows the truth for all of them.

Figures are summed per currency (never across currencies) and not per organization, to
keep the number of series small. Amounts are exposed as Prometheus' floats: they are for
graphs and alerts, never for bookkeeping.

E-mail, webhook-delivery and outbox figures come with the work queue, whose rows they
will be read from.
"""

import os

import prometheus_client
import structlog
from django.conf import settings
from django.db.models import Count, Sum
from django.http import HttpResponse
from django.utils.crypto import constant_time_compare
from prometheus_client import multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from api.exceptions import DATABASE_UNAVAILABLE_ERRORS, error_response

logger = structlog.get_logger(__name__)


class BusinessCollector:
    """Invoices and payments as the database has them at scrape time."""

    # The registry asks for the names when the collector is registered (at start-up, when
    # the database must not be queried): these are they, without values.
    NAMES = (
        "fintrack_business_metrics_up",
        "fintrack_invoices",
        "fintrack_invoices_sent",
        "fintrack_payments",
        "fintrack_payment_amount",
    )

    def describe(self):
        return [GaugeMetricFamily(name, "") for name in self.NAMES]

    def collect(self):
        # Imported here: the collector is registered while apps load.
        from invoices.models import Invoice
        from payments.models import Payment

        up = GaugeMetricFamily(
            "fintrack_business_metrics_up",
            "1 when the business figures below could be read from the database.",
        )
        try:
            families = list(self._families(Invoice, Payment))
        except DATABASE_UNAVAILABLE_ERRORS:
            logger.warning("metrics.database_unavailable")
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    @staticmethod
    def _families(Invoice, Payment):
        invoices = GaugeMetricFamily(
            "fintrack_invoices", "Invoices by status and currency.", labels=["status", "currency"]
        )
        for row in Invoice.objects.values("status", "currency").annotate(n=Count("id")).order_by():
            invoices.add_metric([row["status"], row["currency"]], row["n"])
        yield invoices

        sent = CounterMetricFamily(
            "fintrack_invoices_sent",
            "Invoices ever sent (whatever their status now), by currency.",
            labels=["currency"],
        )
        rows = Invoice.objects.filter(sent_at__isnull=False).values("currency")
        for row in rows.annotate(n=Count("id")).order_by():
            sent.add_metric([row["currency"]], row["n"])
        yield sent

        count = CounterMetricFamily(
            "fintrack_payments",
            "Payment rows by kind (payment, refund, reversal) and currency.",
            labels=["kind", "currency"],
        )
        amount = CounterMetricFamily(
            "fintrack_payment_amount",
            "Money of the payment rows by kind and currency, as a positive amount.",
            labels=["kind", "currency"],
        )
        rows = Payment.objects.values("kind", "currency").annotate(n=Count("id"), sum=Sum("amount"))
        for row in rows.order_by():
            labels = [row["kind"], row["currency"]]
            count.add_metric(labels, row["n"])
            amount.add_metric(labels, float(abs(row["sum"])))
        yield count
        yield amount


def register_business_collector(registry=prometheus_client.REGISTRY):
    registry.register(BusinessCollector())


def is_authorized(request) -> bool:
    """Open without METRICS_TOKEN; with it, only `Authorization: Bearer <METRICS_TOKEN>`."""
    token = settings.METRICS_TOKEN
    if not token:
        return True
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    # Constant time: the comparison must not tell a guesser how much of the token matched.
    return scheme.lower() == "bearer" and constant_time_compare(given.strip(), token)


def metrics_view(request):
    if not is_authorized(request):
        response = error_response(
            401, "not_authenticated", "The metrics need Authorization: Bearer <METRICS_TOKEN>."
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        # Prometheus' multiprocess mode: the HTTP figures come from every worker's files;
        # the business figures are read from the database as always.
        registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        register_business_collector(registry)
    else:
        registry = prometheus_client.REGISTRY
    return HttpResponse(
        prometheus_client.generate_latest(registry),
        content_type=prometheus_client.CONTENT_TYPE_LATEST,
    )

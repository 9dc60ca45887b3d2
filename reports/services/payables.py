"""GET reports/payables/: what the organization owed each vendor at `as_of`, by days past
due (spec 19: section 9's aging for bills, with vendor keys)."""

from django.db.models import F, Max, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce

from bills.models import BOOKED_STATUSES, Bill, BillPayment
from reports.services.aging import aged_by_party, bucket_filters
from reports.services.common import MONEY_OUTPUT, Converter, money_sum, zero_money


def payables(organization, *, as_of, convert_to=None):
    """Approved bills issued by `as_of`, less their payments and reversals paid by then;
    one GROUP BY (currency, vendor[, issue date when converting]) with one filtered sum
    per bucket, as the receivables aging."""
    paid_by_then = (
        BillPayment.objects.filter(bill=OuterRef("pk"), paid_on__lte=as_of)
        .values("bill")
        .annotate(paid=Sum("amount"))
        .values("paid")
    )
    owed = F("total") - Coalesce(Subquery(paid_by_then, output_field=MONEY_OUTPUT), zero_money())
    group = ["currency", "vendor_id"]
    if convert_to:
        group.append("issue_date")
    rows = list(
        Bill.objects.filter(
            organization=organization, status__in=BOOKED_STATUSES, issue_date__lte=as_of
        )
        .annotate(owed=owed)
        .values(*group)
        .annotate(
            vendor_name=Max("vendor__name"),
            **{
                bucket: money_sum("owed", filter=condition)
                for bucket, condition in bucket_filters(as_of).items()
            },
        )
        .order_by()
    )
    converter = Converter(organization, convert_to, rows, date_key="issue_date")
    return {"as_of": as_of.isoformat(), "currencies": aged_by_party(rows, converter, "vendor")}

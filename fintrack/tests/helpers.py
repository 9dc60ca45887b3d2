"""Assertion helpers shared by the API tests."""


def error_code(response) -> str:
    """The `code` of the single error in a spec 11 error body."""
    body = response.json()
    assert set(body) == {"type", "errors"}, body
    return body["errors"][0]["code"]


def error_attrs(response) -> set:
    return {error["attr"] for error in response.json()["errors"]}


def contains_key(value, key: str) -> bool:
    """Whether `key` appears as a dict key anywhere in a decoded JSON body."""
    if isinstance(value, dict):
        return key in value or any(contains_key(item, key) for item in value.values())
    if isinstance(value, list):
        return any(contains_key(item, key) for item in value)
    return False


def snapshot(invoice) -> dict:
    """Everything a refused write could have touched on `invoice`, re-read from the database.

    A refusal (412, 409, 400) proves nothing changed when `snapshot(invoice)` is the same
    before and after it: the row's version, status, money, currency and number, its lines
    (every figure), its payment rows, credit notes, write-off and its history.
    """
    fresh = type(invoice)._base_manager.get(pk=invoice.pk)
    return {
        "version": fresh.version,
        "status": fresh.status,
        "amount_paid": fresh.amount_paid,
        "balance_due": fresh.balance_due,
        "credited_total": fresh.credited_total,
        "written_off_total": fresh.written_off_total,
        "written_off_on": fresh.written_off_on,
        "total": fresh.total,
        "number": fresh.number,
        "currency": fresh.currency,
        "minor_unit": fresh.minor_unit,
        "lines": list(
            fresh.lines.order_by("pk").values_list(
                "pk", "quantity", "unit_price", "discount_percent", "tax_rate", "total"
            )
        ),
        "payments": fresh.payments.count(),
        "payment_history": fresh.payments.model.history.filter(invoice_id=fresh.pk).count(),
        "history": fresh.history.count(),
        # Spec 14's rows, read through their relations (this helper imports no app).
        "credit_notes": fresh.credit_notes.count(),
        "write_offs": type(fresh)
        .write_off.related.related_model.objects.filter(invoice=fresh)
        .count(),
    }

"""Customers in the back office. The customer's page shows its invoices, what it owes per
currency and its statement (spec 17: view, PDF download, e-mail)."""

from dataclasses import replace

from django import forms
from django.contrib import admin
from django.db.models import Count, Sum
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import content_disposition_header

from backoffice.commands import CommandButtonsMixin, ObjectCommand, ObjectLink, tool_url
from backoffice.lists import overdue_q_for_today
from backoffice.money import money_text
from core.db_router import report_reads
from core.money import NotANumber, parse_decimal
from customers.models import Customer
from fintrack.admin import AmountField, OrganizationScopedAdmin, VersionedAdminForm
from invoices.admin import PayForm
from invoices.models import BOOKED_STATUSES, RECEIVABLE_STATUSES, Invoice
from payments.credit import CustomerCredit, refund_credit
from payments.exceptions import InvalidAllocation, InvalidAmount
from payments.models import PaymentMethod
from payments.receipts import Receipt
from reports.services.statement import statement
from reports.statement_document import email_statement, render_statement_pdf, statement_filename

LATEST_INVOICES = 25
STATEMENT_TEMPLATE = "backoffice/customer_statement.html"


class CustomerAdminForm(VersionedAdminForm):
    class Meta:
        model = Customer
        fields = ("organization", *Customer.INPUT_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Left empty, they default to the organization's (Customer.save), as in the API.
        for name in ("currency", "payment_terms_days"):
            if name in self.fields:
                self.fields[name].required = False
                self.fields[name].help_text = "Defaults to the organization's."


def customer_currencies(customer) -> list[str]:
    """The customer's own currency and every currency it was invoiced in."""
    invoiced = Invoice.objects.filter(customer=customer).values_list("currency", flat=True)
    return sorted({customer.currency, *invoiced})


class StatementForm(forms.Form):
    """The statement's period and currency (the API's `from`, `to`, `currency`)."""

    currency = forms.ChoiceField()
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer
        self.fields["currency"].choices = [(c, c) for c in customer_currencies(customer)]
        self.fields["currency"].initial = customer.currency

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "The end of the period is before its start.")
        return data

    def query(self) -> dict:
        """The statement service's arguments; an invalid form gives the default period."""
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "currency": data.get("currency") or self.customer.currency,
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to") or self.customer.organization.today(),
        }


class EmailStatementForm(forms.Form):
    currency = forms.ChoiceField()
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class RefundCreditForm(forms.Form):
    currency = forms.ChoiceField()
    amount = AmountField()
    method = forms.ChoiceField(choices=PaymentMethod.choices)
    reference = forms.CharField(max_length=100, required=False)


class ReceiptForm(PayForm):
    """A payment's form for the whole transfer, plus its currency and allocations."""

    field_order = ["currency", "amount", "method", "reference", "received_on", "allocations"]
    currency = forms.ChoiceField()
    allocations = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One invoice per line: its number and the amount, e.g. INV-00012 150.00. "
        "What is not allocated goes to the customer's credit.",
    )


def _allocations(customer, text):
    """`ReceiptForm`'s lines as `Receipt.record`'s allocations, invoices by number."""
    allocations = []
    for index, raw in enumerate(text.splitlines()):
        if not raw.strip():
            continue
        number, _, amount = raw.strip().rpartition(" ")
        invoice = Invoice.objects.filter(customer=customer, number=number.strip()).first()
        if invoice is None:
            raise InvalidAllocation(
                f"Line {index + 1}: no invoice {number.strip()!r} of this customer."
            )
        try:
            allocations.append({"invoice": invoice, "amount": parse_decimal(amount)})
        except NotANumber:
            raise InvalidAmount(f"Line {index + 1}: {amount!r} is not an amount.") from None
    return allocations


def _record_receipt(model_admin, request, customer, data):
    receipt = Receipt.record(
        customer,
        currency=data["currency"],
        amount=data["amount"],
        method=data["method"],
        reference=data["reference"],
        received_on=data["received_on"],
        notes=data["notes"],
        allocations=_allocations(customer, data["allocations"]),
        actor=request.user,
    )
    return (
        f"Receipt recorded: {len(receipt.allocation_rows)} invoice(s) paid, "
        f"{receipt.unallocated} {receipt.currency} to the customer's credit."
    )


def _refund_credit(model_admin, request, customer, data):
    refund_credit(customer, actor=request.user, **data)
    return "Credit refunded."


def _statement_query(request, customer):
    form = StatementForm(request.GET or None, customer=customer)
    return form, form.query()


def _statement_view(model_admin, request, customer):
    form, query = _statement_query(request, customer)
    with report_reads():
        report = statement(customer, **query)
    currency = report["currency"]
    locale = customer.organization.locale

    def money(amount):
        return money_text(amount, currency, locale=locale)

    lines = [
        {**line, "amount": money(line["amount"]), "balance": money(line["balance"])}
        for line in report["lines"]
    ]
    query_string = request.GET.urlencode()
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Statement: {customer.name}",
        "opts": Customer._meta,
        "original": customer,
        "form": form,
        "report": report,
        "lines": lines,
        "opening_balance": money(report["opening_balance"]),
        "closing_balance": money(report["closing_balance"]),
        "pdf_url": f"{tool_url(customer, 'statement_pdf')}?{query_string}",
        "email_url": f"{tool_url(customer, 'email_statement')}?{query_string}",
        "can_email": model_admin.can_write(request, customer),
        "change_url": reverse("admin:customers_customer_change", args=[customer.pk]),
    }
    return render(request, STATEMENT_TEMPLATE, context)


def _statement_pdf(model_admin, request, customer):
    _, query = _statement_query(request, customer)
    with report_reads():
        report = statement(customer, **query)
    response = HttpResponse(render_statement_pdf(customer, report), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=statement_filename(customer, report)
    )
    return response


def _email_statement(model_admin, request, customer, data):
    email_statement(
        customer,
        currency=data["currency"],
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        actor=request.user,
    )
    return f"The {data['currency']} statement is being e-mailed to {customer.email}."


class PartyAdmin(OrganizationScopedAdmin):
    """What customers and vendors (`vendors.admin`) share: archived, never deleted, since
    their documents keep pointing at them."""

    list_display = ("name", "organization", "email", "currency", "country", "archived_at")
    list_filter = ("organization", "currency", ("archived_at", admin.EmptyFieldListFilter))
    list_select_related = ("organization",)
    search_fields = ("name", "email", "tax_id")
    date_hierarchy = "created_at"
    readonly_fields = ("archived_at", "version", "created_at", "updated_at")
    actions = ["archive", "restore"]

    def get_readonly_fields(self, request, obj=None):
        # A customer's (vendor's) documents live in its organization: it cannot move to another one.
        if obj is not None:
            return ("organization", *self.readonly_fields)
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False

    # --- bulk actions of the list -------------------------------------------------------

    @admin.action(description="Archive selected %(verbose_name_plural)s", permissions=["write"])
    def archive(self, request, queryset):
        self.apply_to_each(
            request,
            queryset,
            lambda party: party.archive(actor=request.user),
            f"{{count}} {self.model._meta.verbose_name}(s) archived.",
        )

    @admin.action(description="Restore selected %(verbose_name_plural)s", permissions=["write"])
    def restore(self, request, queryset):
        self.apply_to_each(
            request,
            queryset,
            lambda party: party.restore(actor=request.user),
            f"{{count}} {self.model._meta.verbose_name}(s) restored.",
        )


@admin.register(Customer)
class CustomerAdmin(CommandButtonsMixin, PartyAdmin):
    """Customers are archived, never deleted: their invoices keep pointing at them."""

    form = CustomerAdminForm
    change_form_template = "backoffice/customer_change_form.html"
    links = (
        ObjectLink("statement", "Statement", _statement_view),
        ObjectLink("statement_pdf", "Statement PDF", _statement_pdf, attrs={"download": ""}),
    )
    commands = (
        ObjectCommand(
            "receipt",
            "Record receipt",
            _record_receipt,
            form=ReceiptForm,
            money=True,
            help="One transfer from this customer, allocated over its invoices; the rest "
            "goes to its credit. Any refused allocation refuses the whole receipt.",
        ),
        ObjectCommand(
            "refund_credit",
            "Refund credit",
            _refund_credit,
            form=RefundCreditForm,
            allowed=lambda customer: customer.credits.filter(amount__gt=0).exists(),
            money=True,
            help="Pays part of the customer's credit back.",
        ),
        ObjectCommand(
            "email_statement",
            "E-mail statement",
            _email_statement,
            form=EmailStatementForm,
            allowed=lambda customer: bool(customer.email),
            help="E-mails the customer its statement with the PDF attached.",
        ),
        ObjectCommand(
            "archive",
            "Archive",
            lambda admin_, request, customer, data: customer.archive(actor=request.user),
            allowed=lambda customer: not customer.is_archived,
            help="An archived customer cannot be billed; its invoices stay as they are.",
        ),
        ObjectCommand(
            "restore",
            "Restore",
            lambda admin_, request, customer, data: customer.restore(actor=request.user),
            allowed=lambda customer: customer.is_archived,
        ),
    )

    class Media:
        css = {"all": ["backoffice/backoffice.css"]}

    # --- the customer's whole picture ---------------------------------------------------

    def command_view(self, request, obj, command):
        if "currency" in command.form.base_fields:
            # The currency choices are the customer's own.
            obj = self._scoped(request, obj)
            command = _with_currency_choices(command, obj, request)
        return super().command_view(request, obj, command)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        customer = self.get_queryset(request).filter(pk=object_id).first()
        if customer is not None:
            extra_context = {**(extra_context or {}), **self.picture(customer)}
        return super().change_view(request, object_id, form_url, extra_context)

    def picture(self, customer) -> dict:
        locale = customer.organization.locale
        invoices = Invoice.objects.filter(customer=customer).order_by("-issue_date", "-pk")
        owed = (
            invoices.filter(status__in=RECEIVABLE_STATUSES)
            .values("currency")
            .annotate(
                owed=Sum("balance_due"),
                open_count=Count("pk"),
                overdue_amount=Sum(
                    "balance_due",
                    filter=overdue_q_for_today(
                        type(customer.organization).objects.filter(pk=customer.organization_id)
                    ),
                ),
            )
            .order_by("currency")
        )
        invoiced = (
            invoices.filter(status__in=BOOKED_STATUSES)
            .values("currency")
            .annotate(invoiced=Sum("total"))
            .order_by("currency")
        )
        totals = {row["currency"]: row["invoiced"] for row in invoiced}
        credits = CustomerCredit.objects.filter(customer=customer, amount__gt=0)
        return {
            "credit_balances": [
                {
                    "currency": credit.currency,
                    "amount": money_text(
                        credit.amount, credit.currency, locale=locale, minor_unit=credit.minor_unit
                    ),
                }
                for credit in credits
            ],
            "credit_entries_url": (
                f"{reverse('admin:payments_creditentry_changelist')}?customer__id__exact="
                f"{customer.pk}"
            ),
            "balances": [
                {
                    "currency": row["currency"],
                    "balance_due": money_text(row["owed"], row["currency"], locale=locale),
                    "overdue": money_text(
                        row["overdue_amount"] or 0, row["currency"], locale=locale
                    ),
                    "open_count": row["open_count"],
                    "invoiced": money_text(
                        totals.get(row["currency"], 0), row["currency"], locale=locale
                    ),
                }
                for row in owed
            ],
            "customer_invoices": [
                {
                    "invoice": invoice,
                    "url": reverse("admin:invoices_invoice_change", args=[invoice.pk]),
                    "total": money_text(
                        invoice.total,
                        invoice.currency,
                        locale=locale,
                        minor_unit=invoice.minor_unit,
                    ),
                    "balance_due": money_text(
                        invoice.balance_due,
                        invoice.currency,
                        locale=locale,
                        minor_unit=invoice.minor_unit,
                    ),
                }
                for invoice in invoices[:LATEST_INVOICES]
            ],
            "invoice_count": invoices.count(),
            "all_invoices_url": (
                f"{reverse('admin:invoices_invoice_changelist')}?customer__id__exact={customer.pk}"
            ),
        }


def _with_currency_choices(command, customer, request):
    """The command's form with this customer's currencies (those it was invoiced in or holds
    credit in), prefilled from the statement page."""
    held = customer.credits.values_list("currency", flat=True)
    currencies = [(c, c) for c in sorted({*customer_currencies(customer), *held})]

    class Form(command.form):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.fields["currency"].choices = currencies

    initial = {"currency": request.GET.get("currency") or customer.currency}
    for name in ("date_from", "date_to"):
        if request.GET.get(name):
            initial[name] = request.GET[name]
    return replace(command, form=Form, initial=lambda obj: initial)

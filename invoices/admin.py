"""Invoices in the back office: drafts are edited through `Invoice.create_draft` /
`update_draft` (so totals are computed exactly as in the API); everything else is
read-only and changes only through commands that call the model methods: the buttons on
the invoice's page (spec 17, `InvoiceAdmin.commands`) and the list's bulk actions."""

from django import forms
from django.contrib import admin
from django.db.models import Q
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponse
from django.utils.html import format_html
from django.utils.http import content_disposition_header
from rangefilter.filters import DateRangeFilterBuilder

from backoffice.commands import CommandButtonsMixin, ObjectCommand, ObjectLink
from backoffice.lists import (
    CurrencyTotalsMixin,
    OverdueFilter,
    link_column,
    link_to,
    money_column,
)
from backoffice.money import money_text
from core.errors import DomainError
from core.money import ZERO, format_plain

# The admin composes the apps above invoices as the API's views do: credit notes and
# write-offs are commands on the invoice page, like pay and refund.
from credits.models import CreditNote, WriteOff
from fintrack.admin import (
    AmountField,
    OrganizationScopedAdmin,
    OrganizationScopedAdminMixin,
    ReadOnlyOrganizationScopedAdmin,
    VersionedAdminForm,
    ViewOnlyMixin,
    form_action,
)
from invoices.mail import send_invoice
from invoices.models import (
    BOOKED_STATUSES,
    Invoice,
    InvoiceLine,
    InvoiceReminder,
    InvoiceSequence,
    ensure_customer_can_be_billed,
)
from invoices.pdf import LocaleFormatter, pdf_filename, render_invoice_pdf
from invoices.reminders import send_manual_reminder
from invoices.tax import LINE_INPUT_FIELDS, TaxCategory
from payments.credit import credit_balances
from payments.models import Payment, PaymentMethod

DRAFT_FIELDS = ("customer", "currency", "issue_date", "due_date", "reference", "notes")


class InvoiceAdminForm(VersionedAdminForm):
    class Meta:
        model = Invoice
        fields = ("organization", *DRAFT_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "currency" in self.fields:
            self.fields["currency"].required = False
            self.fields["currency"].help_text = "Defaults to the customer's."
        if "customer" in self.fields:
            # Archived customers cannot be billed: not offered (a draft keeps its own).
            field = self.fields["customer"]
            field.queryset = field.queryset.filter(
                Q(archived_at__isnull=True) | Q(pk=self.instance.customer_id)
            )

    def clean(self):
        data = super().clean()
        organization = data.get("organization")
        organization_id = organization.pk if organization else self.instance.organization_id
        customer = data.get("customer")
        if customer is None:
            return data
        if organization_id is not None and customer.organization_id != organization_id:
            self.add_error("customer", "This customer belongs to another organization.")
        else:
            try:
                ensure_customer_can_be_billed(
                    customer, current_customer_id=self.instance.customer_id
                )
            except DomainError as error:
                self.add_error(error.attr, error.message)
        if not data.get("currency"):
            data["currency"] = customer.currency
        return data


class InvoiceLineFormSet(BaseInlineFormSet):
    def clean(self):
        """Check each line with the model's own rules so a bad line is a form error."""
        super().clean()
        currency = self.instance.currency
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or form.errors or not currency:
                continue
            line = InvoiceLine(**{name: data.get(name) for name in LINE_INPUT_FIELDS})
            try:
                line.check_values()
                line.compute(currency)
            except (DomainError, TypeError) as error:
                form.add_error(None, getattr(error, "message", "Invalid line."))

    def line_inputs(self):
        """The lines as `create_draft`/`update_draft` take them, in the form's order."""
        return [
            {name: form.cleaned_data[name] for name in LINE_INPUT_FIELDS}
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]


class InvoiceLineInline(OrganizationScopedAdminMixin, admin.TabularInline):
    """Editable while the invoice is a draft; computed figures are read-only."""

    model = InvoiceLine
    formset = InvoiceLineFormSet
    extra = 1
    fields = (
        *LINE_INPUT_FIELDS,
        "amount_money",
        "discount_amount_money",
        "tax_money",
        "total_money",
    )
    readonly_fields = ("amount_money", "discount_amount_money", "tax_money", "total_money")
    # A draft's line has eleven columns; they must fit a laptop's window (the browser test),
    # so the free-text and number inputs are narrower than the admin's default 20em.
    input_widths = {
        "description": "9em",
        "quantity": "4em",
        "unit_price": "5em",
        "discount_percent": "3.5em",
        "tax_rate": "3.5em",
        "tax_category": "4.5em",
        "tax_exemption_reason": "5em",
    }

    amount_money = money_column("amount", "Amount", document=lambda line: line.invoice)
    discount_amount_money = money_column(
        "discount_amount", "Discount", document=lambda line: line.invoice
    )
    tax_money = money_column("tax_amount", "Tax", document=lambda line: line.invoice)
    total_money = money_column("total", "Total", document=lambda line: line.invoice)

    # A line that can no longer change is shown as the PDF prints it.
    settled_fields = (
        "description",
        "quantity_text",
        "unit_price_text",
        "discount_percent_text",
        "tax_rate_text",
        "amount_money",
        "discount_amount_money",
        "tax_money",
        "total_money",
    )

    def get_fields(self, request, obj=None):
        return self.fields if self._editable(request, obj) else self.settled_fields

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and db_field.name in self.input_widths:
            field.widget.attrs["style"] = f"width: {self.input_widths[db_field.name]}"
        return field

    def get_readonly_fields(self, request, obj=None):
        if self._editable(request, obj):
            return self.readonly_fields
        return self.settled_fields

    @staticmethod
    def _formatter(line):
        invoice = line.invoice
        return LocaleFormatter(invoice.organization.locale, invoice.currency, invoice.minor_unit)

    @admin.display(description="Quantity")
    def quantity_text(self, line):
        return self._formatter(line).number(line.quantity)

    @admin.display(description="Unit price")
    def unit_price_text(self, line):
        return format_html(
            '<span class="money">{}</span>', self._formatter(line).unit_price(line.unit_price)
        )

    @admin.display(description="Discount %")
    def discount_percent_text(self, line):
        return self._formatter(line).percent(line.discount_percent)

    @admin.display(description="Tax rate")
    def tax_rate_text(self, line):
        return self._formatter(line).percent(line.tax_rate)

    def _editable(self, request, invoice):
        return self.can_write(request, invoice) and (invoice is None or invoice.can("update_draft"))

    def has_add_permission(self, request, obj=None):
        return self._editable(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(request, obj)


class PaymentInline(ViewOnlyMixin, OrganizationScopedAdminMixin, admin.TabularInline):
    """Payments are immutable rows: recorded, refunded and reversed through commands.
    `ViewOnlyMixin` comes first so the role check cannot offer "Add another Payment"."""

    model = Payment
    fk_name = "invoice"
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("kind", "amount_money", "method", "reference", "received_on", "reverses")
    readonly_fields = fields

    amount_money = money_column("amount", "Amount")


class VoidForm(forms.Form):
    reason = forms.CharField(max_length=500, required=False, widget=forms.Textarea)


class PayForm(forms.Form):
    amount = AmountField()
    method = forms.ChoiceField(choices=PaymentMethod.choices)
    reference = forms.CharField(max_length=100, required=False)
    # The browser's own date picker.
    received_on = forms.DateField(
        required=False,
        help_text="Defaults to today.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    notes = forms.CharField(max_length=5000, required=False, widget=forms.Textarea)


class SendForm(forms.Form):
    email = forms.BooleanField(
        required=False, initial=True, label="E-mail the invoice to the customer"
    )


class RefundForm(forms.Form):
    amount = AmountField()
    reference = forms.CharField(max_length=100, required=False)
    reason = forms.CharField(max_length=500, required=False, widget=forms.Textarea)


class CreditNoteForm(forms.Form):
    """One line: a correction is usually a single amount; the API takes several lines."""

    description = forms.CharField(max_length=500)
    quantity = AmountField(initial="1")
    unit_price = AmountField()
    discount_percent = AmountField(initial="0")
    tax_rate = AmountField(initial="0", help_text="Percent; must be a rate of the invoice.")
    tax_category = forms.ChoiceField(
        choices=[("", "Default (S above 0 %, else Z)"), *TaxCategory.choices], required=False
    )
    tax_exemption_reason = forms.CharField(
        max_length=300, required=False, help_text="Required for E, AE and O."
    )
    reason = forms.CharField(max_length=500, widget=forms.Textarea)
    refund = forms.BooleanField(
        required=False, help_text="Refund what the invoice's balance does not take."
    )


class ApplyCreditForm(forms.Form):
    amount = AmountField(help_text="At most the customer's credit and the balance due.")


def _credit_available(invoice):
    """The customer's credit in the invoice's currency (0 without any)."""
    return credit_balances(invoice.customer).get(invoice.currency, ZERO)


def _apply_credit(model_admin, request, invoice, data):
    Payment.apply_credit(invoice, actor=request.user, **data)
    return "Credit applied."


class WriteOffForm(forms.Form):
    reason = forms.CharField(max_length=500, widget=forms.Textarea)


def _pdf(model_admin, request, invoice):
    response = HttpResponse(render_invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=pdf_filename(invoice)
    )
    return response


def _send(model_admin, request, invoice, data):
    send_invoice(invoice, actor=request.user, email=data["email"])
    return "Invoice sent" + (": the customer is being e-mailed." if data["email"] else ".")


def _pay(model_admin, request, invoice, data):
    payment = Payment.pay(invoice, actor=request.user, **data)
    amount = money_text(
        payment.amount,
        payment.currency,
        locale=invoice.organization.locale,
        minor_unit=invoice.minor_unit,
    )
    return f"Payment of {amount} recorded."


def _refund(model_admin, request, invoice, data):
    Payment.refund(invoice, actor=request.user, **data)
    return "Refund recorded."


def _remind(model_admin, request, invoice, data):
    send_manual_reminder(invoice, actor=request.user)
    return "Reminder queued: the customer is being e-mailed."


def _void(model_admin, request, invoice, data):
    invoice.void(reason=data["reason"], actor=request.user)
    return "Invoice voided."


def _credit_note(model_admin, request, invoice, data):
    line = {name: data[name] for name in LINE_INPUT_FIELDS}
    note = CreditNote.issue(
        invoice, lines=[line], reason=data["reason"], refund=data["refund"], actor=request.user
    )
    return f"Credit note {note.number} issued."


def _write_off(model_admin, request, invoice, data):
    WriteOff.write_off(invoice, reason=data["reason"], actor=request.user)
    return "Balance due written off: the invoice is uncollectible."


@admin.register(Invoice)
class InvoiceAdmin(CurrencyTotalsMixin, CommandButtonsMixin, OrganizationScopedAdmin):
    form = InvoiceAdminForm
    inlines = [InvoiceLineInline, PaymentInline]
    list_display = (
        "__str__",
        "organization",
        "customer_link",
        "status",
        "currency",
        "total_money",
        "balance_due_money",
        "issue_date",
        "due_date",
    )
    list_filter = (
        "status",
        OverdueFilter,
        "organization",
        "currency",
        ("issue_date", DateRangeFilterBuilder(title="issue date")),
        ("due_date", DateRangeFilterBuilder(title="due date")),
    )
    list_select_related = ("organization", "customer")
    search_fields = ("number", "customer__name", "reference")
    date_hierarchy = "issue_date"
    totals_fields = (("total", "Total"), ("balance_due", "Balance due"))
    totals_note = "drafts and void invoices are not counted"
    # The history page shows what changed, not only when.
    history_list_display = ("status", "number", "total", "amount_paid", "balance_due")
    readonly_fields = (
        "number",
        "status",
        "subtotal_money",
        "discount_total_money",
        "tax_total_money",
        "total_money",
        "amount_paid_money",
        "balance_due_money",
        "credited_total_money",
        "written_off_total_money",
        "written_off_on",
        "sent_at",
        "paid_at",
        "voided_at",
        "void_reason",
        "version",
        "created_at",
        "updated_at",
    )
    actions = ["send", "void", "pay", "refund", "credit_note", "write_off"]
    money_actions = frozenset({"send", "pay", "refund", "credit_note", "write_off"})

    # The buttons of the invoice's page, in order; each shows only when the invoice's
    # status allows its command (`TRANSITIONS`) and the user has a write role. A later
    # command is one more row here.
    links = (ObjectLink("pdf", "Download PDF", _pdf, attrs={"download": ""}),)
    commands = (
        ObjectCommand(
            "send",
            "Send",
            _send,
            allowed=lambda invoice: invoice.can("send"),
            form=SendForm,
            money=True,
            help="Numbers the invoice and makes it final; it can no longer be edited.",
        ),
        ObjectCommand(
            "pay",
            "Record payment",
            _pay,
            allowed=lambda invoice: invoice.can("pay"),
            form=PayForm,
            # The balance due, as the amount most often received.
            initial=lambda invoice: {
                "amount": format_plain(invoice.balance_due, invoice.minor_unit)
            },
            money=True,
        ),
        ObjectCommand(
            "apply_credit",
            "Apply credit",
            _apply_credit,
            allowed=lambda invoice: invoice.can("pay") and _credit_available(invoice) > 0,
            form=ApplyCreditForm,
            initial=lambda invoice: {
                "amount": format_plain(
                    min(
                        invoice.balance_due + invoice.written_off_total, _credit_available(invoice)
                    ),
                    invoice.minor_unit,
                )
            },
            money=True,
            help="Moves the customer's credit in this currency onto the invoice.",
        ),
        ObjectCommand(
            "refund",
            "Refund",
            _refund,
            allowed=lambda invoice: invoice.can("refund") and invoice.amount_paid > 0,
            form=RefundForm,
            money=True,
        ),
        ObjectCommand(
            "credit",
            "Credit note",
            _credit_note,
            allowed=lambda invoice: invoice.can("credit"),
            form=CreditNoteForm,
            money=True,
            help="Issues a numbered credit note against this invoice; it cannot be undone.",
        ),
        ObjectCommand(
            "write_off",
            "Write off",
            _write_off,
            allowed=lambda invoice: invoice.can("write_off"),
            form=WriteOffForm,
            money=True,
            danger=True,
            help="Writes off the balance due; the invoice becomes uncollectible.",
        ),
        ObjectCommand(
            "remind",
            "Remind",
            _remind,
            allowed=lambda invoice: invoice.can("remind"),
            help="E-mails the customer a payment reminder with the PDF attached.",
        ),
        ObjectCommand(
            "void",
            "Void",
            _void,
            allowed=lambda invoice: invoice.can("void"),
            form=VoidForm,
            danger=True,
        ),
    )

    customer_link = link_column("customer", "Customer", ordering="customer__name")
    subtotal_money = money_column("subtotal", "Subtotal")
    discount_total_money = money_column("discount_total", "Discount total")
    tax_total_money = money_column("tax_total", "Tax total")
    total_money = money_column("total", "Total")
    amount_paid_money = money_column("amount_paid", "Amount paid")
    balance_due_money = money_column("balance_due", "Balance due")
    credited_total_money = money_column("credited_total", "Credited total")
    written_off_total_money = money_column("written_off_total", "Written off total")

    def totals_scope(self, queryset):
        # As in every report: drafts and void invoices owe nothing.
        return queryset.filter(status__in=BOOKED_STATUSES)

    def command_facts(self, invoice):
        locale = invoice.organization.locale

        def money(amount):
            return money_text(
                amount, invoice.currency, locale=locale, minor_unit=invoice.minor_unit
            )

        return [
            ("Invoice", link_to(invoice)),
            ("Customer", link_to(invoice.customer)),
            ("Currency", invoice.currency),
            ("Status", invoice.get_status_display()),
            ("Total", money(invoice.total)),
            ("Amount paid", money(invoice.amount_paid)),
            ("Balance due", money(invoice.balance_due)),
            ("Due date", invoice.due_date or "—"),
        ]

    class Media:
        css = {"all": ["backoffice/backoffice.css"]}

    def get_readonly_fields(self, request, obj=None):
        # An invoice's customer, lines and number series belong to its organization.
        if obj is not None:
            return ("organization", *self.readonly_fields)
        return self.readonly_fields

    # Only drafts can be edited or deleted; the rest is read-only evidence.
    def has_change_permission(self, request, obj=None):
        return self.can_write(request, obj) and (obj is None or obj.can("update_draft"))

    def has_delete_permission(self, request, obj=None):
        return self.can_write(request, obj) and (obj is None or obj.can("delete_draft"))

    # --- drafts through the model methods -----------------------------------------------

    def save_model(self, request, obj, form, change):
        """Nothing here: `save_related` saves the invoice and its lines in one method call."""

    def save_related(self, request, form, formsets, change):
        invoice = form.instance
        fields = {
            name: form.cleaned_data[name] for name in DRAFT_FIELDS if name in form.cleaned_data
        }
        line_formsets = [fs for fs in formsets if isinstance(fs, InvoiceLineFormSet)]
        lines = None
        if line_formsets and (not change or line_formsets[0].has_changed()):
            lines = line_formsets[0].line_inputs()
        if change:
            invoice.update_draft(
                actor=request.user, lines=lines, expected_version=form.expected_version, **fields
            )
            return
        created = Invoice.create_draft(
            organization=invoice.organization, actor=request.user, lines=lines or (), **fields
        )
        invoice.pk = created.pk
        invoice._state.adding = False
        invoice.refresh_from_db()

    def construct_change_message(self, request, form, formsets, add=False):
        # The lines were written by the model method, not by the formsets.
        return super().construct_change_message(request, form, [], add)

    def delete_model(self, request, obj):
        obj.delete_draft(actor=request.user)

    # --- lifecycle actions --------------------------------------------------------------

    @admin.action(description="Send selected draft invoices", permissions=["write"])
    def send(self, request, queryset):
        self.apply_to_each(
            request,
            queryset,
            lambda invoice: invoice.send(actor=request.user),
            "{count} invoice(s) sent.",
        )

    @form_action(VoidForm, description="Void selected invoices")
    def void(self, request, invoice, data):
        invoice.void(reason=data["reason"], actor=request.user)

    # Named like the model command and the API action it calls (`pay`).
    @form_action(PayForm, description="Pay: record a payment received", single=True)
    def pay(self, request, invoice, data):
        Payment.pay(invoice, actor=request.user, **data)

    @form_action(RefundForm, description="Refund", single=True)
    def refund(self, request, invoice, data):
        Payment.refund(invoice, actor=request.user, **data)

    @form_action(CreditNoteForm, description="Issue a credit note", single=True)
    def credit_note(self, request, invoice, data):
        _credit_note(self, request, invoice, data)

    @form_action(WriteOffForm, description="Write off the balance due")
    def write_off(self, request, invoice, data):
        _write_off(self, request, invoice, data)


@admin.register(InvoiceSequence)
class InvoiceSequenceAdmin(ReadOnlyOrganizationScopedAdmin):
    list_display = ("organization", "last_number")
    list_select_related = ("organization",)
    search_fields = ("organization__name",)


@admin.register(InvoiceReminder)
class InvoiceReminderAdmin(ReadOnlyOrganizationScopedAdmin):
    list_display = ("invoice", "organization", "stage", "sent_at")
    list_filter = ("stage", "organization")
    list_select_related = ("invoice", "organization")
    search_fields = ("invoice__number", "invoice__customer__name")
    date_hierarchy = "sent_at"

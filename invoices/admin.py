"""Invoices in the back office: drafts are edited through `Invoice.create_draft` /
`update_draft` (so totals are computed exactly as in the API); everything else is
read-only and changes only through actions that call the model methods."""

from django import forms
from django.contrib import admin
from django.forms.models import BaseInlineFormSet

from core.errors import DomainError
from fintrack.admin import (
    AmountField,
    OrganizationScopedAdmin,
    OrganizationScopedAdminMixin,
    ReadOnlyInline,
    ReadOnlyOrganizationScopedAdmin,
    VersionedAdminForm,
    form_action,
)
from invoices.models import (
    Invoice,
    InvoiceLine,
    InvoiceReminder,
    InvoiceSequence,
    ensure_customer_can_be_billed,
)
from payments.models import Payment, PaymentMethod

LINE_INPUT_FIELDS = ("description", "quantity", "unit_price", "discount_percent", "tax_rate")
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
    fields = (*LINE_INPUT_FIELDS, "amount", "discount_amount", "tax_amount", "total")
    readonly_fields = ("amount", "discount_amount", "tax_amount", "total")

    def _editable(self, request, invoice):
        return self.can_write(request, invoice) and (invoice is None or invoice.can("update_draft"))

    def has_add_permission(self, request, obj=None):
        return self._editable(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(request, obj)


class PaymentInline(OrganizationScopedAdminMixin, ReadOnlyInline):
    """Payments are immutable rows: recorded, refunded and reversed through actions."""

    model = Payment
    fk_name = "invoice"
    fields = ("kind", "amount", "method", "reference", "received_on", "reverses", "created_by")
    readonly_fields = fields


class VoidForm(forms.Form):
    reason = forms.CharField(max_length=500, required=False, widget=forms.Textarea)


class PayForm(forms.Form):
    amount = AmountField()
    method = forms.ChoiceField(choices=PaymentMethod.choices)
    reference = forms.CharField(max_length=100, required=False)
    received_on = forms.DateField(required=False, help_text="Defaults to today.")
    notes = forms.CharField(max_length=5000, required=False, widget=forms.Textarea)


class RefundForm(forms.Form):
    amount = AmountField()
    reference = forms.CharField(max_length=100, required=False)
    reason = forms.CharField(max_length=500, required=False, widget=forms.Textarea)


@admin.register(Invoice)
class InvoiceAdmin(OrganizationScopedAdmin):
    form = InvoiceAdminForm
    inlines = [InvoiceLineInline, PaymentInline]
    list_display = (
        "__str__",
        "organization",
        "customer",
        "status",
        "currency",
        "total",
        "balance_due",
        "issue_date",
        "due_date",
    )
    list_filter = ("status", "organization", "currency", "issue_date", "due_date")
    list_select_related = ("organization", "customer")
    search_fields = ("number", "customer__name", "reference")
    date_hierarchy = "issue_date"
    readonly_fields = (
        "number",
        "status",
        "subtotal",
        "discount_total",
        "tax_total",
        "total",
        "amount_paid",
        "balance_due",
        "sent_at",
        "paid_at",
        "voided_at",
        "void_reason",
        "version",
        "created_at",
        "updated_at",
    )
    actions = ["send", "void", "pay", "refund"]
    money_actions = frozenset({"send", "pay", "refund"})

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

"""Worlds the back office's tests (and its browser tests) start from."""

from datetime import timedelta

from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from backoffice.commands import tool_name
from customers.tests.factories import CustomerFactory
from invoices.models import Invoice
from invoices.tests.factories import InvoiceFactory


def staff(organization, role=Role.FINANCE, **fields):
    user = UserFactory(is_staff=True, **fields)
    MembershipFactory(user=user, organization=organization, role=role)
    return user


def overdue_invoice(organization, *, customer=None, total="1403.50", days=20, actor=None):
    """A sent invoice whose due date passed `days` ago (spec 5.3's overdue)."""
    today = organization.today()
    customer = customer or CustomerFactory(organization=organization, currency="")
    return InvoiceFactory(
        organization=organization,
        customer=customer,
        total=total,
        issue_date=today - timedelta(days=days + 30),
        due_date=today - timedelta(days=days),
        sent=True,
        actor=actor,
    )


def rival_world(name="Rival Holdings Unique", customer_name="Rival Customer Unique"):
    """Another organization with an overdue invoice: nothing of it may show to others."""
    rival = OrganizationFactory(name=name)
    customer = CustomerFactory(organization=rival, name=customer_name)
    invoice = overdue_invoice(rival, customer=customer, total="777.77")
    return rival, invoice


def change_url(obj):
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def command_url(obj, name):
    opts = obj._meta
    return reverse(
        f"admin:{opts.app_label}_{opts.model_name}_actions",
        kwargs={"pk": obj.pk, "tool": tool_name(name)},
    )


def reread(invoice):
    return Invoice.objects.get(pk=invoice.pk)

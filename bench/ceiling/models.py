"""A 10-column invoice, its payments and an audit trail with a JSON payload."""

from django.db import models


class Invoice(models.Model):
    number = models.CharField(max_length=32)
    customer_name = models.CharField(max_length=200)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20)
    issue_date = models.DateField()
    due_date = models.DateField()
    total = models.DecimalField(max_digits=19, decimal_places=4)
    amount_paid = models.DecimalField(max_digits=19, decimal_places=4)
    balance_due = models.DecimalField(max_digits=19, decimal_places=4)

    def __str__(self):
        return self.number


class Payment(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(max_digits=19, decimal_places=4)
    method = models.CharField(max_length=20)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.amount} on {self.invoice_id}"


class AuditEntry(models.Model):
    action = models.CharField(max_length=50)
    object_id = models.BigIntegerField()
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.action

"""The two ceiling endpoints: a payment in one transaction, and one invoice by id."""

from django.db import transaction
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from ceiling.models import AuditEntry, Invoice, Payment


class PayInput(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=19, decimal_places=4, min_value=0)
    method = serializers.CharField(max_length=20)


class PaymentOut(serializers.ModelSerializer):
    class Meta:
        model = Payment
        fields = "__all__"


class InvoiceOut(serializers.ModelSerializer):
    class Meta:
        model = Invoice
        fields = "__all__"


class PayView(APIView):
    """BEGIN, lock, insert payment, update invoice, two audit rows, COMMIT: 7 round trips."""

    def post(self, request, pk):
        data = PayInput(data=request.data)
        data.is_valid(raise_exception=True)
        amount = data.validated_data["amount"]
        with transaction.atomic():
            invoice = Invoice.objects.select_for_update().get(pk=pk)
            payment = Payment.objects.create(
                invoice=invoice, amount=amount, method=data.validated_data["method"]
            )
            invoice.amount_paid += amount
            invoice.balance_due -= amount
            invoice.status = "paid" if invoice.balance_due == 0 else "partially_paid"
            invoice.save(update_fields=["amount_paid", "balance_due", "status"])
            AuditEntry.objects.create(
                action="payment.created",
                object_id=payment.pk,
                payload={"invoice": invoice.pk, "amount": str(amount)},
            )
            AuditEntry.objects.create(
                action="invoice.updated",
                object_id=invoice.pk,
                payload={"amount_paid": str(invoice.amount_paid), "status": invoice.status},
            )
        return Response(PaymentOut(payment).data, status=status.HTTP_201_CREATED)


class InvoiceView(generics.RetrieveAPIView):
    queryset = Invoice.objects.all()
    serializer_class = InvoiceOut

"""The HTTP side of payment rows (`core.payment_rows`): what `payments/` and `bill-payments/`
share. A row renders the same columns (its document and its date column named by the
model), lists join what the answer reads, and `reverse/` validates, calls
`PaymentRow.reverse` and answers 201 with the reversal. Each app keeps its own serializer
and viewset classes (their names are the OpenAPI components) and its own descriptions.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import WRITE_ROLES
from api.exports import ExportMixin
from api.tenancy import OrganizationScopedMixin


def payment_row_fields(model):
    """A payment row's answer: the shared columns around its document and its date."""
    return [
        "id",
        model.document_field,
        "kind",
        "amount",
        "currency",
        "reference",
        "method",
        model.date_field,
        "reverses",
        "reversed_by",
        "reason",
        "notes",
        "created_by",
        "created_at",
    ]


def payment_rows(model):
    """`model`'s rows with `reversed_by` (a reverse one-to-one) and the document (its stored
    minor unit renders the amounts) joined: a list stays one query."""
    return model.objects.select_related("reversed_by", model.document_field)


def money_context(document):
    """Amounts are checked against the document's stored minor unit, not today's table."""
    return {"currency": document.currency, "minor_unit": document.minor_unit}


def record_on_document(view, command, input_class, serializer_class=None, *, render=None):
    """A payment command's answer: the document from the view's tenant-scoped queryset, the
    input validated against its money (`money_context`), `command(document, actor=...,
    expected_version=..., **input)` run, and the new row answered 201: as
    `render(row, document)` renders it when given, else by `serializer_class`."""
    document = view.get_object()
    data = input_class(data=view.request.data, context=money_context(document))
    data.is_valid(raise_exception=True)
    row = command(
        document,
        actor=view.request.user,
        expected_version=view.expected_version(document),
        **data.validated_data,
    )
    answer = render(row, document) if render else serializer_class(row).data
    return Response(answer, status=status.HTTP_201_CREATED)


# Read-only; a subclass sets `Meta.fields = payment_row_fields(model)`. No docstring: it
# would become every payment row's description in the OpenAPI document.
class PaymentRowSerializer(serializers.ModelSerializer):
    reversed_by = serializers.SerializerMethodField(help_text="The reversal's id, if reversed.")

    # Nullable: most payments are never reversed (OpenApiTypes.INT documented it as always set).
    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_reversed_by(self, payment) -> int | None:
        # The reverse one-to-one raises when absent; the list selects it in the same query.
        reversal = getattr(payment, "reversed_by", None)
        return reversal.pk if reversal is not None else None


class PaymentRowReverseInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class PaymentRowViewSet(ExportMixin, OrganizationScopedMixin, viewsets.ReadOnlyModelViewSet):
    """An organization's payment rows, newest first, plus `reverse/`. Rows are immutable, so
    PUT/PATCH/DELETE are 405 because no handler exists for them.

    A subclass sets `queryset = payment_rows(Model)`, `serializer_class`, `filterset_class`
    and `reverse_input_class`, and documents `reverse` (`extend_schema_view`)."""

    money_actions = frozenset({"reverse"})
    action_roles = {"reverse": WRITE_ROLES}
    reverse_input_class = PaymentRowReverseInputSerializer

    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        payment = self.get_object()
        data = self.reverse_input_class(data=request.data)
        data.is_valid(raise_exception=True)
        reversal = payment.reverse(actor=request.user, **data.validated_data)
        return Response(self.serializer_class(reversal).data, status=status.HTTP_201_CREATED)

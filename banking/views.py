"""Bank statements and lines over HTTP (spec 15). Thin: the rules are
`BankStatement.import_file`, `BankStatement.match_automatically`, `BankLine.match` and
`BankLine.ignore`; these validate shape, call, render."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, parsers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.tenancy import OrganizationScopedMixin
from banking.filters import BankLineFilterSet
from banking.matching import OpenInvoices
from banking.models import BankLine, BankStatement
from banking.serializers import (
    BankLineMatchInputSerializer,
    BankLineSerializer,
    BankStatementInputSerializer,
    BankStatementSerializer,
)
from payments.credit_serializers import ReceiptSerializer

MAX_STATEMENT_BYTES = 10 * 1024 * 1024


class FileTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "file_too_large"
    default_detail = "A statement file is at most 10 MB."


@extend_schema_view(
    list=extend_schema(summary="List statement imports"),
    retrieve=extend_schema(summary="One statement import"),
)
class BankStatementViewSet(
    OrganizationScopedMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Statement imports, newest first. Admin or finance import; any member reads."""

    queryset = BankStatement.objects.all()
    serializer_class = BankStatementSerializer
    parser_classes = [parsers.MultiPartParser]
    # An import records receipts for the lines it matches.
    money_actions = frozenset({"create"})

    @extend_schema(
        summary="Import a bank statement",
        request={"multipart/form-data": BankStatementInputSerializer},
        responses={
            201: BankStatementSerializer,
            400: OpenApiResponse(description="`invalid_statement`, naming the line or element"),
            413: OpenApiResponse(description="`file_too_large`: over 10 MB"),
        },
    )
    def create(self, request, *args, **kwargs):
        upload = request.FILES.get("file")
        if upload is not None and upload.size > MAX_STATEMENT_BYTES:
            raise FileTooLarge()
        data = BankStatementInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        statement = BankStatement.import_file(
            self.organization,
            data.validated_data["file"].read(),
            account=data.validated_data["account"],
            actor=request.user,
        )
        statement.match_automatically(actor=request.user)
        return Response(BankStatementSerializer(statement).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="List bank lines"),
    retrieve=extend_schema(summary="One bank line"),
)
class BankLineViewSet(OrganizationScopedMixin, viewsets.ReadOnlyModelViewSet):
    """The organization's bank lines, oldest booking first, with suggestions for the
    unmatched incoming ones."""

    queryset = BankLine.objects.all()
    serializer_class = BankLineSerializer
    filterset_class = BankLineFilterSet
    money_actions = frozenset({"match"})

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if getattr(self.request, "organization", None) is not None:
            context["open_invoices"] = OpenInvoices(self.request.organization)
        return context

    @extend_schema(
        summary="Match a bank line: record it as a receipt",
        request=BankLineMatchInputSerializer,
        responses={
            201: ReceiptSerializer,
            400: OpenApiResponse(
                description="`outgoing_line`, or a receipt's refusal (`invalid_allocation`, "
                "`allocation_exceeds_receipt`, `overpayment`, `received_before_issue`...)"
            ),
            409: OpenApiResponse(description="`already_matched`, `invalid_status`"),
        },
    )
    @action(detail=True, methods=["post"])
    def match(self, request, pk=None):
        line = self.get_object()
        line.ensure_can_match()
        data = BankLineMatchInputSerializer(
            data=request.data, context={"request": request, "currency": line.currency}
        )
        data.is_valid(raise_exception=True)
        receipt = line.match(actor=request.user, **data.validated_data)
        return Response(ReceiptSerializer(receipt).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Set a bank line aside",
        request=None,
        responses={
            200: BankLineSerializer,
            409: OpenApiResponse(description="`already_matched`"),
        },
    )
    @action(detail=True, methods=["post"])
    def ignore(self, request, pk=None):
        line = self.get_object().ignore(actor=request.user)
        return Response(self.get_serializer(line).data)

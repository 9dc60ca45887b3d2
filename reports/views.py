"""Reports (spec 9). Views are thin: they validate the query,
call one service and render JSON, CSV or XLSX."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from accounts.models import ALL_ROLES
from api.exports import EXPORT_RENDERERS, FORMAT_PARAMETER, ExportRenderingMixin
from api.tenancy import OrganizationScopedMixin
from core.db_router import report_reads
from customers.models import Customer
from reports import export_rows, serializers
from reports.services.aging import aging
from reports.services.dashboard import dashboard, default_period
from reports.services.payables import payables
from reports.services.revenue import revenue
from reports.services.statement import statement
from reports.services.summary import summary
from reports.services.tax import tax_report


class ReportView(ExportRenderingMixin, OrganizationScopedMixin, generics.GenericAPIView):
    """Read-only for every member; `?format=csv|xlsx` downloads the same figures."""

    read_roles = ALL_ROLES
    renderer_classes = [JSONRenderer, *EXPORT_RENDERERS]
    pagination_class = None
    filter_backends = []
    query_serializer_class = None
    export_name = ""

    def query(self):
        params = self.query_serializer_class(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return params.validated_data

    def compute(self, service, *args, **kwargs):
        """Run the report's service with its reads on the replica (fintrack/db_router)."""
        with report_reads():
            return service(*args, **kwargs)

    def respond(self, report, *, stem=None, on_date=None):
        export_format = self.requested_export_format()
        if export_format is None:
            return Response(report)
        columns, rows = export_rows.for_report(self.export_name, report)
        stem = stem or self.export_name
        filename = self.export_filename(stem, export_format, on_date)
        return export_rows.response(export_format, columns, rows, filename, stem)


class SummaryView(ReportView):
    query_serializer_class = serializers.SummaryQuerySerializer
    export_name = "summary"

    @extend_schema(
        parameters=[serializers.SummaryQuerySerializer, FORMAT_PARAMETER],
        responses=serializers.SummarySerializer,
    )
    def get(self, request):
        query = self.query()
        return self.respond(
            self.compute(
                summary,
                self.organization,
                date_from=query.get("from"),
                date_to=query.get("to"),
                convert_to=query.get("convert_to"),
            )
        )


class AgingView(ReportView):
    query_serializer_class = serializers.AgingQuerySerializer
    export_name = "aging"

    @extend_schema(
        parameters=[serializers.AgingQuerySerializer, FORMAT_PARAMETER],
        responses=serializers.AgingSerializer,
    )
    def get(self, request):
        query = self.query()
        as_of = query.get("as_of") or self.organization.today()
        report = self.compute(
            aging, self.organization, as_of=as_of, convert_to=query.get("convert_to")
        )
        return self.respond(report, on_date=as_of)


class PayablesView(ReportView):
    """Unpaid bills aged like the receivables (spec 19)."""

    query_serializer_class = serializers.AgingQuerySerializer
    export_name = "payables"

    @extend_schema(
        parameters=[serializers.AgingQuerySerializer, FORMAT_PARAMETER],
        responses=serializers.PayablesSerializer,
    )
    def get(self, request):
        query = self.query()
        as_of = query.get("as_of") or self.organization.today()
        report = self.compute(
            payables, self.organization, as_of=as_of, convert_to=query.get("convert_to")
        )
        return self.respond(report, on_date=as_of)


class DashboardView(ReportView):
    """Income, expenses and net, by category and month, and the latest movements."""

    query_serializer_class = serializers.DashboardQuerySerializer
    export_name = "dashboard"

    @extend_schema(
        parameters=[serializers.DashboardQuerySerializer, FORMAT_PARAMETER],
        responses=serializers.DashboardSerializer,
    )
    def get(self, request):
        query = self.query()
        default_from, default_to = default_period(self.organization.today())
        return self.respond(
            self.compute(
                dashboard,
                self.organization,
                currency=query.get("currency") or self.organization.base_currency,
                date_from=query.get("from") or default_from,
                date_to=query.get("to") or default_to,
                convert_to=query.get("convert_to"),
            )
        )


class RevenueView(ReportView):
    query_serializer_class = serializers.RevenueQuerySerializer
    export_name = "revenue"

    @extend_schema(
        parameters=[serializers.RevenueQuerySerializer, FORMAT_PARAMETER],
        responses=serializers.RevenueSerializer,
    )
    def get(self, request):
        query = self.query()
        return self.respond(
            self.compute(
                revenue,
                self.organization,
                date_from=query.get("from"),
                date_to=query.get("to"),
                convert_to=query.get("convert_to"),
            )
        )


class TaxView(ReportView):
    """Tax per currency, category and rate on accrual or cash basis (spec 18)."""

    query_serializer_class = serializers.TaxQuerySerializer
    export_name = "tax"

    @extend_schema(
        parameters=[serializers.TaxQuerySerializer, FORMAT_PARAMETER],
        responses=serializers.TaxReportSerializer,
    )
    def get(self, request):
        query = self.query()
        report = self.compute(
            tax_report,
            self.organization,
            basis=query["basis"],
            date_from=query.get("from"),
            date_to=query.get("to"),
        )
        return self.respond(report, stem=f"tax-{query['basis']}")


class CustomerStatementView(ReportView):
    """A customer's statement; another organization's customer is 404."""

    queryset = Customer.objects.all()
    query_serializer_class = serializers.StatementQuerySerializer
    export_name = "statement"

    @extend_schema(
        parameters=[serializers.StatementQuerySerializer, FORMAT_PARAMETER],
        responses=serializers.StatementSerializer,
    )
    def get(self, request, pk):
        customer = self.get_object()
        query = self.query()
        report = self.compute(
            statement,
            customer,
            currency=query.get("currency") or customer.currency,
            date_from=query.get("from"),
            date_to=query.get("to") or self.organization.today(),
        )
        return self.respond(report, stem=f"statement-customer-{customer.pk}")

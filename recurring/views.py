"""The recurring invoice endpoints (spec 16). Thin: every rule lives in a model method."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from api.tenancy import OrganizationViewSet
from recurring.filters import RecurringInvoiceFilterSet
from recurring.models import RecurringInvoice
from recurring.serializers import RecurringInvoiceSerializer

WRITE_ERRORS = {
    409: OpenApiResponse(description="invalid_status, schedule_locked or concurrent_modification."),
    412: OpenApiResponse(description="precondition_failed: stale If-Match."),
}


class RecurringInvoiceViewSet(OrganizationViewSet):
    """Recurring invoices of the current organization. Not deleted: paused, or ended by
    `end_date` (no DELETE: 405)."""

    queryset = RecurringInvoice.objects.all()
    serializer_class = RecurringInvoiceSerializer
    filterset_class = RecurringInvoiceFilterSet
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        return super().get_queryset().select_related("customer").prefetch_related("lines")

    def respond(self, template, status_code=status.HTTP_200_OK):
        serializer = self.get_serializer(self.get_queryset().get(pk=template.pk))
        return Response(serializer.data, status=status_code)

    @staticmethod
    def ensure_may_send(request, serializer, template=None):
        """A template that sends invoices sends them on its creator's word: refused, like
        `send`, to a user whose e-mail is not verified (spec 20)."""
        auto_send = serializer.validated_data.get(
            "auto_send", getattr(template, "auto_send", False)
        )
        if auto_send:
            request.user.ensure_email_verified()

    @extend_schema(responses={201: RecurringInvoiceSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.ensure_may_send(request, serializer)
        return self.respond(serializer.save(), status.HTTP_201_CREATED)

    @extend_schema(responses={200: RecurringInvoiceSerializer, **WRITE_ERRORS})
    def update(self, request, *args, **kwargs):
        template = self.get_object()
        serializer = self.get_serializer(
            template, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        self.ensure_may_send(request, serializer, template)
        return self.respond(serializer.save(expected_version=self.expected_version(template)))

    @extend_schema(responses={200: RecurringInvoiceSerializer, **WRITE_ERRORS})
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)

    @extend_schema(
        request=None,
        responses={200: RecurringInvoiceSerializer, **WRITE_ERRORS},
        description="Active -> paused: no invoice while paused; the periods that start "
        "before the resume are skipped.",
    )
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        template = self.get_object()
        template.pause(actor=request.user, expected_version=self.expected_version(template))
        return self.respond(template)

    @extend_schema(
        request=None,
        responses={200: RecurringInvoiceSerializer, **WRITE_ERRORS},
        description="Paused -> active (ended when `end_date` has passed meanwhile).",
    )
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        template = self.get_object()
        if template.auto_send:
            request.user.ensure_email_verified()
        template.resume(actor=request.user, expected_version=self.expected_version(template))
        return self.respond(template)

"""`webhook-endpoints/` and `webhook-deliveries/{id}/retry/` (spec 16): admins only, reads
included. Thin: the rules live in `WebhookEndpoint` and `WebhookDelivery`."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import ADMIN_ONLY
from api.tenancy import OrganizationScopedMixin, OrganizationViewSet
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.serializers import (
    WebhookDeliverySerializer,
    WebhookEndpointCreatedSerializer,
    WebhookEndpointSerializer,
)


class WebhookEndpointViewSet(OrganizationViewSet):
    queryset = WebhookEndpoint.objects.all()
    serializer_class = WebhookEndpointSerializer
    read_roles = ADMIN_ONLY
    write_roles = ADMIN_ONLY

    @extend_schema(responses={201: WebhookEndpointCreatedSerializer})
    def create(self, request, *args, **kwargs):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = WebhookEndpoint.create(organization=self.organization, **data.validated_data)
        return Response(
            WebhookEndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED
        )

    def update(self, request, *args, **kwargs):
        endpoint = self.get_object()
        data = self.get_serializer(
            endpoint, data=request.data, partial=kwargs.get("partial", False)
        )
        data.is_valid(raise_exception=True)
        endpoint.change(**data.validated_data)
        return Response(self.get_serializer(endpoint).data)

    @extend_schema(responses=WebhookDeliverySerializer(many=True))
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        endpoint = self.get_object()
        page = self.paginate_queryset(WebhookDelivery.objects.filter(endpoint=endpoint))
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)


class WebhookDeliveryViewSet(
    OrganizationScopedMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = WebhookDelivery.objects.select_related("endpoint")
    serializer_class = WebhookDeliverySerializer
    organization_field = "endpoint__organization"
    read_roles = ADMIN_ONLY
    write_roles = ADMIN_ONLY

    @extend_schema(
        request=None,
        responses={202: WebhookDeliverySerializer},
        description="One more try now, whatever the backoff said (409 endpoint_inactive "
        "when the endpoint is disabled).",
    )
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        delivery = self.get_object()
        delivery.retry()
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

from core.errors import ConflictError, DomainError


class WebhookUrlNotAllowed(DomainError):
    code = "webhook_url_not_allowed"
    default_message = (
        "The URL's host is a loopback, private or link-local address; webhooks go to "
        "public addresses only."
    )


class WebhookUrlInvalid(DomainError):
    code = "invalid"
    default_message = "Enter an http or https URL."


class UnknownEventType(DomainError):
    code = "invalid_choice"
    default_message = 'Events are names from the event list, or ["*"] alone.'


class EndpointInactive(ConflictError):
    code = "endpoint_inactive"
    default_message = "The endpoint is disabled; enable it before retrying its deliveries."

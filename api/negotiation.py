"""`?format=` on every API view (spec 9): the formats a view offers, else 400.

DRF's default answers 404 to a `format` no renderer offers, which reads as "no such
endpoint". Here the query parameter wins over `Accept`, and a format the view does not
offer (`csv` on an endpoint without exports, `pdf` on a list) is a 400
`unsupported_format` on `format`, naming what the endpoint does offer.
"""

from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation

UNSUPPORTED_FORMAT = "unsupported_format"


def requested_format(negotiation, request, format_suffix=None):
    """The format asked for in the URL, or None when none was asked for."""
    return format_suffix or request.query_params.get(negotiation.settings.URL_FORMAT_OVERRIDE)


def unsupported_format(format, offered):
    choices = ", ".join(sorted(offered)) or "none"
    return exceptions.ValidationError(
        {"format": [f"Unsupported format {format!r}; this endpoint offers: {choices}."]},
        code=UNSUPPORTED_FORMAT,
    )


def handles_method(request) -> bool:
    view = (getattr(request, "parser_context", None) or {}).get("view")
    return view is None or getattr(view, request.method.lower(), None) is not None


class FormatNegotiation(DefaultContentNegotiation):
    """The project's default content negotiation (`DEFAULT_CONTENT_NEGOTIATION_CLASS`)."""

    def filter_renderers(self, renderers, format):
        matching = [renderer for renderer in renderers if renderer.format == format]
        if not matching:
            raise unsupported_format(format, {renderer.format for renderer in renderers})
        return matching

    def select_renderer(self, request, renderers, format_suffix=None):
        format = requested_format(self, request, format_suffix)
        if format is not None and not handles_method(request):
            # The method is refused with 405 right after; the format is no concern of it.
            return renderers[0], renderers[0].media_type
        if format is not None:
            renderer = self.filter_renderers(renderers, format)[0]
            return renderer, renderer.media_type
        return super().select_renderer(request, renderers, format_suffix)

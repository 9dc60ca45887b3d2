"""Stored attachments (expense receipts, bill attachments) as HTTP answers."""

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions

from core.attachments import ACCEPTED_TYPES

# An attached file is answered in the type its content was checked to be.
STORED_FILE_RESPONSES = {
    (200, media_type): OpenApiResponse(OpenApiTypes.BINARY, description="The stored file.")
    for media_type in ACCEPTED_TYPES
}


def stored_file_response(field, content_type, stem):
    """A stored attachment, read through the storage API; 404 when there is none."""
    if not field:
        raise exceptions.NotFound("There is no file attached.")
    extension = field.name.rsplit(".", 1)[-1]
    return FileResponse(
        field.open("rb"),
        content_type=content_type,
        as_attachment=True,
        filename=f"{stem}.{extension}",
    )

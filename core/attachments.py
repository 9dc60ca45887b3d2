"""Attached documents (spec 19: expense receipts, bill attachments): PDF, PNG or JPEG of at
most 10 MB, the type read from the file's content (its first bytes), never from its name or
the client's content type, so an executable renamed `.pdf` is refused."""

import uuid
from contextlib import contextmanager

import filetype
from django.db import models

from core.errors import DomainError

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# The MIME type `filetype` reads from the content -> the extension the file is stored with.
ACCEPTED_TYPES = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
# Enough of the head for every signature `filetype` knows.
HEAD_BYTES = 8192


class FileTooLarge(DomainError):
    code = "file_too_large"
    default_message = "An attached file is at most 10 MB."


class UnsupportedFileType(DomainError):
    code = "unsupported_file_type"
    default_message = "An attached file is a PDF, PNG or JPEG file."


def checked_file_type(upload, *, attr) -> str:
    """The MIME type of an uploaded file (Django `File`), refused unless it is an accepted
    document of at most 10 MB; `attr` names the input field. The file is left at its start."""
    if upload.size > MAX_ATTACHMENT_BYTES:
        raise FileTooLarge(attr=attr)
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in ACCEPTED_TYPES:
        raise UnsupportedFileType(attr=attr)
    return kind.mime


def stored_path(folder, instance, content_type) -> str:
    """Stored under the organization with a random name: the client's file name (which
    may be anything) never becomes a path, and names cannot be guessed."""
    extension = ACCEPTED_TYPES.get(content_type, "bin")
    return f"{folder}/{instance.organization_id}/{uuid.uuid4().hex}.{extension}"


@contextmanager
def stored_files_removed_on_failure(instance):
    """Around the writes that save `instance` with a new upload (inside their transaction).

    Saving writes the upload to storage before the row is written; if the writes then fail
    (a refused duplicate, a lost race, a failed insert), the transaction rolls the row back
    but storage has no transaction: the file would stay, named by no row. So a failure
    leaving this block deletes every file it stored, then propagates. Files stored before
    it (a row's existing receipt) are not touched.

    Django has no hook for the rollback of an enclosing transaction after this block ended;
    the model methods that use it are their transaction's boundary, or a step of the
    request-wide one whose refusals leave through here.
    """
    pending = [
        field_file
        for field in instance._meta.concrete_fields
        if isinstance(field, models.FileField)
        and (field_file := getattr(instance, field.attname))
        and not field_file._committed
    ]
    try:
        yield
    except BaseException:
        for field_file in pending:
            if field_file._committed:  # written to storage by the failed save
                field_file.storage.delete(field_file.name)
        raise

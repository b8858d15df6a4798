"""Uploaded files: stored under names nobody can guess, handed out only by views that checked who asks.

Nothing serves MEDIA_ROOT publicly. A view finds the record through the selector that scopes
the user (a 404 for anything else) and answers with `document_response` or `file_response`.
"""

import mimetypes
import os
import uuid
from urllib.parse import quote

from django.conf import settings
from django.db.models import QuerySet
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header


def random_name(folder: str, filename: str) -> str:
    """`folder/<32 hex digits><extension>`: a stored name that tells nothing and cannot be guessed."""
    return f"{folder}/{uuid.uuid4().hex}{os.path.splitext(filename)[1].lower()}"


def file_response(file: FieldFile, *, filename: str) -> HttpResponse:
    """The file as a download called `filename`.

    With DOCUMENTS_ACCEL_REDIRECT_PREFIX set (production behind nginx), the answer carries no
    bytes: nginx sends the file from that internal location. Otherwise Django streams it.
    """
    prefix = settings.DOCUMENTS_ACCEL_REDIRECT_PREFIX
    if prefix:
        content_type, _encoding = mimetypes.guess_type(filename)
        response = HttpResponse(content_type=content_type or "application/octet-stream")
        response["X-Accel-Redirect"] = quote(f"{prefix.rstrip('/')}/{file.name}")
        response["Content-Disposition"] = content_disposition_header(True, filename)
        return response
    try:
        content = file.open("rb")
    except FileNotFoundError:
        # The record is there but storage lost its file (a restore without media/): not a 500.
        raise Http404 from None
    return FileResponse(content, as_attachment=True, filename=filename)


def document_response(documents: QuerySet, *, pk: int) -> HttpResponse:
    """The file of document `pk` among `documents` (those the user may have; a 404 for any
    other), under the name it was uploaded with."""
    document = get_object_or_404(documents, pk=pk)
    return file_response(document.file, filename=document.original_name)

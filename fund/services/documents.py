"""The kinds of document the fund files and requires (reference data, kept by the accountant),
and filing a document, whoever it belongs to."""

import datetime as dt
import os
from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils.translation import gettext as _

from fund.models import DocumentType, User
from fund.models.documents import Document
from fund.services.common import assign_fields, require_permission

DOCUMENT_TYPE_FIELDS = ("code", "name_vi", "name_en", "description", "active", "position")


def save_document_type(
    *, actor: User, document_type: DocumentType | None, fields: Mapping[str, Any]
) -> DocumentType:
    """Create a document type (`document_type=None`) or change one. Retire it with active=False:
    documents filed under it and products requiring it keep it."""
    require_permission(actor, "fund.change_documenttype" if document_type else "fund.add_documenttype")
    with transaction.atomic():
        if document_type is None:
            document_type = DocumentType()
        else:
            document_type = DocumentType.objects.select_for_update().get(pk=document_type.pk)
        assign_fields(document_type, fields, DOCUMENT_TYPE_FIELDS)
        document_type.full_clean()
        document_type.save()
    return document_type


class DocumentUpload(TypedDict):
    """What is filed with a document, whoever it belongs to: the services that file one take it
    as keywords and hand it on here unchanged."""

    document_type: DocumentType
    file: File
    issued_on: dt.date
    title: NotRequired[str]


def file_document(
    model: type[Document],
    *,
    actor: User,
    document_type: DocumentType,
    file: File,
    issued_on: dt.date,
    title: str = "",
    **owner: Any,
) -> Document:
    """Save a `model` document of `owner` (`borrower=...`, `loan=...`) filed by `actor`, once it
    is valid: the file keeps the name it was uploaded with, a retired type is refused."""
    document = model(
        **owner,
        document_type=document_type,
        file=file,
        original_name=os.path.basename(file.name),
        issued_on=issued_on,
        title=title.strip(),
        uploaded_by=actor,
    )
    document.full_clean()
    if not document_type.active:
        raise ValidationError({"document_type": _("This document type is no longer in use.")})
    document.save()
    return document

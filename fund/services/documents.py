"""The kinds of document the fund files and requires (reference data, kept by the accountant)."""

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from fund.models import DocumentType, User
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

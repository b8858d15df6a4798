"""Stored names say nothing; a file goes out streamed by Django or, in production, by nginx."""

import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.db.models.fields.files import FieldFile, FileField
from django.http import Http404

from common.files import file_response, random_name


@pytest.fixture
def stored(tmp_path):
    storage = FileSystemStorage(location=tmp_path)
    name = storage.save(random_name("loans", "Đơn vay vốn.PDF"), ContentFile(b"%PDF-1.4 scan"))
    return FieldFile(None, FileField(storage=storage), name)


def test_a_stored_name_is_random_and_keeps_only_the_extension():
    first, second = (random_name("loans", "Đơn vay vốn HTX 13.PDF") for _ in range(2))
    assert re.fullmatch(r"loans/[0-9a-f]{32}\.pdf", first)
    assert first != second


def test_without_a_prefix_django_streams_the_file_under_its_original_name(stored, settings):
    settings.DOCUMENTS_ACCEL_REDIRECT_PREFIX = ""
    response = file_response(stored, filename="Đơn vay vốn.pdf")
    assert b"".join(response.streaming_content) == b"%PDF-1.4 scan"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%C4%90%C6%A1n%20vay%20v%E1%BB%91n.pdf" in response["Content-Disposition"]
    assert "X-Accel-Redirect" not in response


def test_with_a_prefix_nginx_sends_the_bytes_from_its_internal_location(stored, settings):
    settings.DOCUMENTS_ACCEL_REDIRECT_PREFIX = "/protected-documents/"
    response = file_response(stored, filename="Đơn vay vốn.pdf")
    assert response["X-Accel-Redirect"] == f"/protected-documents/{stored.name}"
    assert response.content == b""
    assert response["Content-Type"] == "application/pdf"
    assert "filename*=utf-8''%C4%90%C6%A1n%20vay%20v%E1%BB%91n.pdf" in response["Content-Disposition"]


def test_a_lost_file_is_a_404_not_a_500(stored, settings):
    settings.DOCUMENTS_ACCEL_REDIRECT_PREFIX = ""
    stored.storage.delete(stored.name)
    with pytest.raises(Http404):
        file_response(stored, filename="x.pdf")

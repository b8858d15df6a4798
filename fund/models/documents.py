"""Documents: the kinds a borrower files and a product's dossier requires, and the filed
document every owner's documents are made of (a borrower's records, a loan's dossier)."""

from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.fields import who_and_when
from common.files import random_name
from common.names import BilingualName
from common.text import long_text

# Documents are scans and office files; anything bigger is a mistake, not a record.
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
DOCUMENT_EXTENSIONS = ["pdf", "jpg", "jpeg", "png", "doc", "docx", "xls", "xlsx", "odt", "ods"]


def validate_document_size(file) -> None:
    if file.size > MAX_DOCUMENT_BYTES:
        raise ValidationError(
            _("The file is larger than %(limit)s MB.") % {"limit": MAX_DOCUMENT_BYTES // (1024 * 1024)}
        )


def document_path(instance: "Document", filename: str) -> str:
    return random_name(instance.upload_folder, filename)


class DocumentType(BilingualName):
    """A kind of document (registration certificate, business plan...), named in both languages.

    Borrower documents are filed under one; a loan product lists the ones its dossier requires
    (`LoanProduct.required_documents`), from which appraisal builds its checklist.
    """

    code = models.CharField(
        _("code"),
        max_length=40,
        unique=True,
        validators=[RegexValidator(r"^[a-z0-9_]+$", _("Use lower-case letters, digits and underscores."))],
    )
    description = long_text(_("description"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("document type")
        verbose_name_plural = _("document types")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name


class Document(models.Model):
    """A filed document: its type, a file stored under a random name, the name it was uploaded
    with, its date and who uploaded it. A concrete document adds its owner and names the folder
    its files go to (`upload_folder`) and the view that hands them out (`download_view`), which
    checks who asks."""

    upload_folder: str
    download_view: str

    document_type = models.ForeignKey(
        DocumentType, verbose_name=_("document type"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("title"), max_length=255, blank=True)
    file = models.FileField(
        _("file"),
        upload_to=document_path,
        validators=[FileExtensionValidator(DOCUMENT_EXTENSIONS), validate_document_size],
    )
    # The file is stored under a random name; this is the name it was uploaded with.
    original_name = models.CharField(_("file name"), max_length=255, editable=False)
    issued_on = models.DateField(_("document date"))
    uploaded_by, uploaded_at = who_and_when(_("uploaded by"), _("uploaded at"))

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.title or str(self.document_type)

    def get_absolute_url(self) -> str:
        return reverse(self.download_view, args=[self.pk])

    def clean(self) -> None:
        if self.issued_on and self.issued_on > timezone.localdate():
            raise ValidationError({"issued_on": _("The document date cannot be in the future.")})

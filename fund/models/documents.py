"""Kinds of document a borrower files and a product's dossier requires."""

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from common.text import long_text
from ledger.models.accounts import localized_name


class DocumentType(models.Model):
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
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    description = long_text(_("description"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("document type")
        verbose_name_plural = _("document types")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return localized_name(self.name_vi, self.name_en)

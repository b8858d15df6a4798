"""An officer's request for more documents on an application, and the co-op's answer to it."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from common.fields import who_and_when
from common.text import long_text


class DocumentRequest(models.Model):
    """What an officer asks the co-op to add to its dossier, and, once answered, the documents it
    filed and its note. Both are also lines of the loan's history (`LoanEvent`)."""

    loan = models.ForeignKey("loans.Loan", on_delete=models.PROTECT, related_name="document_requests")
    message = long_text(_("what is asked for"))
    asked_by, asked_at = who_and_when(_("asked by"), _("asked at"))
    answer = long_text(_("answer"), blank=True)
    answered_by, answered_at = who_and_when(_("answered by"), _("answered at"), later=True)
    documents = models.ManyToManyField(
        "loans.LoanDocument", verbose_name=_("documents filed"), blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("request for documents")
        verbose_name_plural = _("requests for documents")
        ordering = ["loan", "-asked_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(answered_at__isnull=True) | models.Q(answered_by__isnull=False),
                name="loans_docrequest_answered_by",
            )
        ]

    def __str__(self) -> str:
        return f"{self.loan_id}: {self.message[:40]}"

    @property
    def is_open(self) -> bool:
        return self.answered_at is None

"""The forms of a request for documents: the officer's question, the co-op's answer."""

from django import forms
from django.utils.translation import gettext_lazy as _

from common.text import LONG_TEXT_MAX
from loans.forms import DocumentForm


class DocumentRequestForm(forms.Form):
    message = forms.CharField(
        label=_("Which documents are needed, and why"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=LONG_TEXT_MAX,
    )


class AnswerForm(DocumentForm):
    """The document asked for, filed like any dossier document, and a note for the officer."""

    answer = forms.CharField(
        label=_("Note for the officer"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=LONG_TEXT_MAX,
    )

    def upload(self) -> dict:
        return {name: self.cleaned_data[name] for name in ("document_type", "file", "issued_on", "title")}

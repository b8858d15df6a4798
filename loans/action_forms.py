"""The forms of loan actions: what every request asks (a reason, a document) and, per kind, what
it asks for (named by the kind's `form`, its cleaned data the kind's payload fields)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from common.text import LONG_TEXT_MAX
from fund.forms import DocumentForm


class KindForm(forms.Form):
    """A kind's request form: built for the loan it is asked on."""

    def __init__(self, *args, loan, **kwargs):
        self.loan = loan
        super().__init__(*args, **kwargs)

    def only(self, names) -> "KindForm":
        """The same form with only `names` (the fields an approver may choose)."""
        self.fields = {name: field for name, field in self.fields.items() if name in names}
        return self


class RequestForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=LONG_TEXT_MAX
    )


class OptionalDocumentForm(DocumentForm):
    """A document filed with the request, if one is chosen."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False

    def clean(self):
        data = super().clean()
        if data.get("file") and not (data.get("document_type") and data.get("issued_on")):
            raise forms.ValidationError(_("Give the document's type and date with its file."))
        return data

    def upload(self) -> dict | None:
        data = self.cleaned_data
        if not data.get("file"):
            return None
        return {key: data[key] for key in ("document_type", "file", "issued_on", "title")}


class DecisionForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=LONG_TEXT_MAX
    )

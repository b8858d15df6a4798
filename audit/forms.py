from django import forms
from django.utils.translation import gettext_lazy as _

from audit.selectors import ACTIONS, followed_models
from common.forms import DATE


class TrailFilterForm(forms.Form):
    model = forms.ChoiceField(label=_("Kind of record"), required=False)
    record = forms.CharField(label=_("Record (id or name)"), required=False, max_length=100)
    user = forms.CharField(label=_("User"), required=False, max_length=150)
    action = forms.TypedChoiceField(
        label=_("Action"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—"), *ACTIONS.items()],
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("To"), required=False, widget=DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [("", "—"), *followed_models()]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end comes before the start."))
        return data

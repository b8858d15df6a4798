from django import forms
from django.utils.translation import gettext_lazy as _

from audit.selectors import ACTIONS, followed_models
from common.forms import DateRangeForm


class TrailFilterForm(DateRangeForm):
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
    field_order = ["model", "record", "user", "action", "date_from", "date_to"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [("", "—"), *followed_models()]

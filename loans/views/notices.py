"""The due-date reminders and overdue notices sent, newest first (a co-op sees its own)."""

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from common.forms import DATE
from common.paging import numbered
from loans.models import NoticeKind
from loans.selectors.reminders import notices_visible_to

NOTICES_PER_PAGE = 100


class NoticeFilter(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All")), *NoticeKind.choices])
    on = forms.DateField(label=_("Business date"), required=False, widget=DATE)
    loan = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


@login_required
@permission_required("loans.view_notice", raise_exception=True)
def notice_list(request):
    filters = NoticeFilter(request.GET)
    notices = notices_visible_to(request.user)
    if filters.is_valid():
        data = filters.cleaned_data
        if data["kind"]:
            notices = notices.filter(kind=data["kind"])
        if data["on"]:
            notices = notices.filter(on=data["on"])
        if data["loan"]:
            notices = notices.filter(loan_id=data["loan"])
    page = numbered(request, notices, size=NOTICES_PER_PAGE)
    return render(request, "loans/notices.html", {"page": page, "filters": filters})

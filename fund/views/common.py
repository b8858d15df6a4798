"""What the fund's views share: the generic form page, and pages that need the fund set up."""

from functools import wraps

from django.shortcuts import redirect, render

from common.views import submit_form
from fund.selectors import fund_or_none


def fund_required(view):
    """A page that needs the fund: before it is set up, it sends to its set-up; once it is, the
    view gets it as `fund`."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        fund = fund_or_none()
        if fund is None:
            return redirect("fund:fund_setup")
        return view(request, *args, fund=fund, **kwargs)

    return wrapped


def form_page(request, *, form, save, done, title: str, back_url: str, submit: str, **extra):
    """A form whose POST calls the service `save`; `done` gives the success message and address."""
    context = {"form": form, "title": title, "back_url": back_url, "submit": submit, **extra}
    return submit_form(request, form, save, done) or render(request, "fund/form.html", context)

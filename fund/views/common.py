"""What the fund's views share: the generic form page."""

from django.shortcuts import render

from common.views import submit_form


def form_page(request, *, form, save, done, title: str, back_url: str, submit: str, **extra):
    """A form whose POST calls the service `save`; `done` gives the success message and address."""
    context = {"form": form, "title": title, "back_url": back_url, "submit": submit, **extra}
    return submit_form(request, form, save, done) or render(request, "fund/form.html", context)

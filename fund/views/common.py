"""What the fund's views share: the generic form page."""

from django.shortcuts import render


def form_page(request, *, form, title: str, back_url: str, submit: str, status: int = 200, **extra):
    context = {"form": form, "title": title, "back_url": back_url, "submit": submit, **extra}
    return render(request, "fund/form.html", context, status=status)

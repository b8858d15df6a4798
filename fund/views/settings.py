"""The fund's own page: its settings, approval authority and capital (close of day, which moves
the business date, is the loans' `loans.views.closing`)."""

from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from fund import selectors, services
from fund.forms import AuthorityLevelForm, CapitalReceiptForm, CapitalSourceForm, FundForm
from fund.models import AuthorityLevel, Fund
from fund.services.capital import create_capital_source, record_capital_receipt
from fund.views.common import form_page, fund_required


@login_required
@permission_required("fund.view_fund", raise_exception=True)
def fund_detail(request):
    fund = Fund.objects.prefetch_related("lending_accounts").first()
    context = {"fund": fund}
    if fund is not None:
        context["levels"] = fund.authority_levels.prefetch_related("holders")
        if request.user.has_perm("fund.view_capitalsource"):
            context["sources"] = selectors.capital_sources()
            context["receipts"] = selectors.capital_receipts()[:20]
    return render(request, "fund/fund_detail.html", context)


DETAIL = "fund:fund_detail"


@login_required
@permission_required("fund.add_fund", raise_exception=True)
def fund_setup(request):
    if Fund.objects.exists():
        return redirect("fund:fund_edit")
    form = FundForm(request.POST or None, setting_up=True, initial={"business_date": timezone.localdate()})
    return _fund_page(
        request,
        form,
        lambda **given: services.set_up_fund(business_date=form.cleaned_data["business_date"], **given),
        done=_("The fund is set up."),
        title=_("Set up the fund"),
        submit=_("Set up"),
    )


@login_required
@permission_required("fund.change_fund", raise_exception=True)
@fund_required
def fund_edit(request, fund: Fund):
    form = FundForm(request.POST or None, instance=fund)
    return _fund_page(
        request,
        form,
        services.update_fund,
        done=_("The fund's settings are saved."),
        title=_("Edit the fund"),
        submit=_("Save"),
    )


def _fund_page(request, form, save, *, done: str, title: str, submit: str):
    """The fund's settings form: `save(actor=, fields=, lending_accounts=)` saves them."""
    return _on_fund_page(
        request,
        form=form,
        save=lambda: save(
            actor=request.user,
            fields=form.service_fields(),
            lending_accounts=form.cleaned_data["lending_accounts"],
        ),
        saved=lambda fund: done,
        title=title,
        submit=submit,
    )


def _on_fund_page(request, *, form, save, saved, title: str, submit: str):
    """A form opened from the fund's page: `save()` calls the service, then back to the page with
    the message `saved(what it returned)`."""
    return form_page(
        request,
        form=form,
        save=save,
        done=lambda result: (saved(result), reverse(DETAIL)),
        title=title,
        back_url=reverse(DETAIL),
        submit=submit,
    )


@login_required
@permission_required("fund.add_authoritylevel", raise_exception=True)
@fund_required
def authority_create(request, fund: Fund):
    return _authority_page(request, None, _("New approval authority level"))


@login_required
@permission_required("fund.change_authoritylevel", raise_exception=True)
def authority_edit(request, pk):
    level = get_object_or_404(AuthorityLevel, pk=pk)
    return _authority_page(request, level, _("Edit approval level %(name)s") % {"name": level.name})


def _authority_page(request, level, title):
    initial = AuthorityLevelForm.initial_for(level) if level is not None else None
    form = AuthorityLevelForm(request.POST or None, initial=initial)
    return _on_fund_page(
        request,
        form=form,
        save=lambda: (
            services.create_authority_level(actor=request.user, **form.cleaned_data)
            if level is None
            else services.update_authority_level(actor=request.user, level=level, **form.cleaned_data)
        ),
        saved=lambda saved: _("Approval level %(name)s saved.") % {"name": saved.name},
        title=title,
        submit=_("Save"),
    )


@login_required
@permission_required("fund.add_capitalsource", raise_exception=True)
@fund_required
def capital_source_create(request, fund: Fund):
    form = CapitalSourceForm(request.POST or None)
    return _on_fund_page(
        request,
        form=form,
        save=lambda: create_capital_source(actor=request.user, **form.cleaned_data),
        saved=lambda source: _("Capital source %(name)s added.") % {"name": source.name},
        title=_("New capital source"),
        submit=_("Add"),
    )


@login_required
@permission_required("fund.add_capitalreceipt", raise_exception=True)
@fund_required
def capital_receipt_create(request, fund: Fund):
    form = CapitalReceiptForm(request.POST or None, fund=fund)
    return _on_fund_page(
        request,
        form=form,
        save=lambda: record_capital_receipt(actor=request.user, **form.cleaned_data),
        saved=lambda receipt: (
            _("Capital received, posted as entry %(entry)s.") % {"entry": receipt.journal_entry}
        ),
        title=_("Record capital received"),
        submit=_("Record and post"),
    )

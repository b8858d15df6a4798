"""The journal: the list with filters, an entry, a manual entry and a reversal."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from common.forms import run_service, show_service_errors
from common.paging import keyset
from common.views import bound_filters
from common.xlsx import streamed_response
from ledger import reports, selectors
from ledger.forms import EntryForm, JournalFilterForm, LineFormSet, ReversalForm
from ledger.models import SOURCE_MANUAL, JournalEntry, source_label
from ledger.services import Line, post_manual_entry, reverse_on_request


def _filtered(request):
    filters, chosen = bound_filters(request, JournalFilterForm, sources=selectors.source_kinds())
    entries = selectors.journal_entries(
        date_from=chosen.get("date_from"),
        date_to=chosen.get("date_to"),
        source_kind=chosen.get("source_kind", ""),
        account_code=chosen.get("account", ""),
        text=chosen.get("text", ""),
    )
    return filters, chosen, entries


@login_required
@permission_required("ledger.view_journalentry", raise_exception=True)
def journal(request):
    filters, chosen, entries = _filtered(request)
    # Keyset pages: the last page of years of entries is as quick as the first. Unfiltered, the
    # count is the years' counters, not a count of every entry on every page.
    count = None if any(chosen.values()) else selectors.entry_count()
    page = keyset(request, entries, selectors.JOURNAL_ORDER, count=count)
    return render(request, "ledger/journal.html", {"filters": filters, "page": page})


@login_required
@permission_required(["ledger.view_journalentry", "ledger.export_ledger"], raise_exception=True)
def journal_export(request):
    filters, chosen, entries = _filtered(request)
    start, end = chosen.get("date_from"), chosen.get("date_to")
    if start and not end:  # a period needs its end: the books' last day
        end = selectors.reporting_date()
    with translation.override("vi"):  # the form's language (reports.journal_sheet)
        described = [
            f"{filters.fields[name].label}: {source_label(value) if name == 'source_kind' else value}"
            for name, value in chosen.items()
            if value and name not in ("date_from", "date_to")
        ]
    sheet = reports.journal_sheet(selectors.journal_lines(entries), start=start, end=end, notes=described)
    return streamed_response("so-nhat-ky-chung.xlsx", sheet)


@login_required
@permission_required("ledger.view_journalentry", raise_exception=True)
def entry_detail(request, pk):
    entry = get_object_or_404(selectors.journal_entries(), pk=pk)
    lines = list(entry.lines.all())
    return render(
        request,
        "ledger/entry_detail.html",
        {
            "entry": entry,
            "lines": lines,
            "total_debit": sum(line.debit.amount for line in lines),
            "total_credit": sum(line.credit.amount for line in lines),
            "can_reverse": request.user.has_perm("ledger.reverse_journalentry")
            and entry.source_kind == SOURCE_MANUAL
            and entry.reverses_id is None
            and not hasattr(entry, "reversed_by"),
        },
    )


@login_required
@permission_required("ledger.add_journalentry", raise_exception=True)
def entry_create(request):
    form = EntryForm(request.POST or None)
    lines = LineFormSet(request.POST or None, prefix="lines")
    line_errors: list[str] = []
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        filled = [f.cleaned_data for f in lines if not f.is_blank]
        drafted = [
            Line(
                account=data["account"],
                debit=data["debit"] or 0,
                credit=data["credit"] or 0,
                reference=data["reference"],
            )
            for data in filled
        ]
        try:
            entry = post_manual_entry(
                actor=request.user,
                value_date=form.cleaned_data["value_date"],
                memo=form.cleaned_data["memo"],
                lines=drafted,
                idempotency_key=form.cleaned_data["key"],
            )
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
            line_errors = errors.pop("lines", [])
            show_service_errors(form, ValidationError(errors))
            # Show the filled lines first, so "Line 2" in a message is the second row.
            lines = LineFormSet(prefix="lines", initial=filled)
        else:
            messages.success(request, _("Entry %(number)s is posted.") % {"number": entry.number})
            return redirect("ledger:entry_detail", pk=entry.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "lines": lines, "line_errors": line_errors}
    return render(request, "ledger/entry_form.html", context, status=status)


@login_required
@permission_required("ledger.reverse_journalentry", raise_exception=True)
def entry_reverse(request, pk):
    entry = get_object_or_404(JournalEntry, pk=pk)
    form = ReversalForm(request.POST or None, initial={"value_date": entry.value_date})
    if request.method == "POST" and form.is_valid():
        reversal = run_service(
            form,
            lambda: reverse_on_request(
                actor=request.user,
                entry=entry,
                reason=form.cleaned_data["reason"],
                value_date=form.cleaned_data["value_date"],
            ),
        )
        if reversal is not None:
            messages.success(
                request,
                _("Entry %(number)s is reversed by %(reversal)s.") % {"number": entry, "reversal": reversal},
            )
            return redirect("ledger:entry_detail", pk=reversal.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "ledger/entry_reverse.html", {"form": form, "entry": entry}, status=status)

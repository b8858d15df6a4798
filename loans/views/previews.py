"""A money action asked with a reason (a reversal, the end of a tracking): the reason first, then
the entry it will post, then, confirmed, the action."""

from common.forms import run_service
from ledger.selectors import named_lines
from loans.forms import ReasonForm


def entry_then(request, form: ReasonForm, context: dict, preview, act, asked: dict):
    """A reason posted: first the entry `preview(**asked, reason=)` would post, into `context`
    for the page to show (`entry` and its `lines`; a preview of several answers them and whether
    they are all, the others as `later`, `complete`); then, confirmed, `act`'s result (None
    until then or when refused, the refusal on the form)."""
    if request.method != "POST" or not form.is_valid():
        return None
    asked = asked | {"reason": form.cleaned_data["reason"]}
    if "confirm" in request.POST:
        return run_service(form, lambda: act(**asked))
    if (shown := run_service(form, lambda: preview(**asked))) is not None:
        (entry, *later), complete = shown if isinstance(shown, tuple) else ([shown], True)
        context |= {"entry": entry, "lines": named_lines(entry.lines), "complete": complete}
        context["later"] = [(draft, named_lines(draft.lines)) for draft in later]
    return None

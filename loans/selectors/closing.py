"""What the close of day pages show of the runs (`loans.services.closing.runs`): each run's
chunks summed — loans looked at, postings per step, debt groups changed, seconds per phase —,
how far it is, and whether the workers are still on it."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from loans.models import CloseChunk, CloseFailure, CloseRun
from loans.models.closing import GROUPS, POSTING_STEPS

# The phases `closing.days.close_loans` times, in order.
PHASES = {
    "read": _("reading the loans"),
    "positions": _("positions"),
    "groups": _("debt groups"),
    "postings": _("postings"),
    "books": _("posting to the books"),
}
# A day done whose run goes on to a later date: the workers start the next day's run at once.
NEXT_RUN_WAIT = timedelta(seconds=30)


@dataclass
class RunSummary:
    run: CloseRun
    chunks: int = 0
    done: int = 0
    loans: int = 0
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    errors: list[tuple[int, str]] = field(default_factory=list)  # pending chunks' last error
    open_failures: int = 0

    @property
    def steps(self) -> list[int]:
        """Loan postings per step, in the order the steps post."""
        return [self.counts[name] for name in POSTING_STEPS]

    @property
    def groups(self) -> int:
        return self.counts[GROUPS]

    @property
    def phases(self) -> list[tuple[str, float]]:
        """Seconds per phase summed over the chunks, with the phase's name."""
        return [(label, self.seconds[phase]) for phase, label in PHASES.items()]

    @property
    def duration(self) -> float | None:
        """Seconds from start to finish."""
        finished = self.run.finished_at
        return None if finished is None else (finished - self.run.started_at).total_seconds()

    @property
    def working(self) -> bool:
        """Running with a chunk a worker can still close (not one that failed with an error):
        its page keeps looking."""
        return self.run.state == CloseRun.State.RUNNING and self.chunks - self.done > len(self.errors)


def run_summaries(runs) -> list[RunSummary]:
    """A summary of each of `runs` (a bounded list: a page of them), in their order."""
    summaries = {run.pk: RunSummary(run) for run in runs}
    chunks = CloseChunk.objects.filter(run__in=list(summaries)).values_list(
        "run_id", "number", "state", "loans", "counts", "seconds", "error"
    )
    for run_id, number, state, loans, counts, seconds, error in chunks.order_by("run", "number"):
        summary = summaries[run_id]
        summary.chunks += 1
        if state != CloseChunk.State.DONE:
            if error:
                summary.errors.append((number, error))
            continue
        summary.done += 1
        summary.loans += loans
        for name, count in counts.items():
            summary.counts[name] += count
        for phase, spent in seconds.items():
            summary.seconds[phase] += spent
    failures = (
        CloseFailure.objects.filter(run__in=list(summaries), state=CloseFailure.State.OPEN)
        .values("run_id")
        .annotate(count=Count("pk"))
    )
    for row in failures:
        summaries[row["run_id"]].open_failures = row["count"]
    return list(summaries.values())


def current_run(business_date) -> tuple[RunSummary | None, bool]:
    """The close going on, or else the last one, and whether its page should keep looking: while
    workers close its chunks, or between a day done and the next day's run they start."""
    run = CloseRun.objects.filter(state=CloseRun.State.RUNNING).select_related("started_by").first()
    run = run or CloseRun.objects.select_related("started_by").first()
    if run is None:
        return None, False
    (summary,) = run_summaries([run])
    next_day_coming = (
        run.state == CloseRun.State.DONE
        and business_date < run.until
        and timezone.now() - run.finished_at < NEXT_RUN_WAIT
    )
    return summary, summary.working or next_day_coming

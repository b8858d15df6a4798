"""Work shared among processes that start together, timed from their common start.

Each process is forked, opens its own connection, prepares its share untimed (reading what it
needs), then waits for the start: so the figure is what the processes did at once, not how
fast they were forked. Call it after `django.setup()`.
"""

import multiprocessing
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from django.db import connections

Share = TypeVar("Share")


def seconds_together(prepare: Callable[[Share], Callable[[], None]], shares: Sequence[Share]) -> float:
    """Seconds from the common start until a process per share has run `prepare(share)()`."""
    connections.close_all()  # a forked process must not share the parent's connection
    start_at = time.time() + 0.5
    processes = [
        multiprocessing.get_context("fork").Process(target=_in_process, args=(prepare, share, start_at))
        for share in shares
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
        if process.exitcode:
            raise SystemExit(f"a process failed ({process.exitcode})")
    return time.time() - start_at


def _in_process(prepare: Callable[[Share], Callable[[], None]], share: Share, start_at: float) -> None:
    connections.close_all()  # a forked process needs its own connection
    work = prepare(share)
    while time.time() < start_at:
        time.sleep(0.001)
    work()
    connections.close_all()

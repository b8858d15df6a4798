"""Running calls at the same moment from several threads, for the PostgreSQL tests."""

import threading
import time

from django.db import connection
from django.utils import translation


def at_once(*calls) -> list:
    """Run the calls in threads released together; each result, or the exception it raised.

    A thread starts in the default language (Vietnamese): messages are read in English, like
    the rest of the tests. Each thread closes its own database connection.
    """
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            with translation.override("en"):
                barrier.wait()
                results[index] = call()
        except Exception as exc:  # noqa: BLE001 - the test inspects whatever each side got
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def started(call) -> threading.Thread:
    """`call` running in a thread of its own (its own connection, closed at its end); once
    joined, the thread's `outcome` is what `call` returned or the exception it raised."""

    def run():
        try:
            with translation.override("en"):
                thread.outcome = call()
        except Exception as exc:  # noqa: BLE001 - the test inspects whatever the thread got
            thread.outcome = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.outcome = None
    thread.start()
    return thread


def waits_for_a_lock(thread: threading.Thread, seconds: float = 30) -> bool:
    """Whether `thread` comes to wait for a lock another session holds (True), or ends without
    having to (False)."""
    deadline = time.monotonic() + seconds
    while thread.is_alive() and time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock')"
            )
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.05)
    return False

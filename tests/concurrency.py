"""Running calls at the same moment from several threads, for the PostgreSQL tests."""

import threading

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

"""The test command's real Celery workers (scripts/celery_cluster.py, the `celery_workers` fixture)."""

import os
import time

import pytest
from celery.result import allow_join_result
from django_celery_results.models import TaskResult

from config.celery import app

pytestmark = pytest.mark.postgres


def run_on_a_worker(*args) -> str:
    """Run Celery's built-in `celery.accumulate` (it returns its arguments) through the broker:
    the hostname of the worker that wrote its result into the test database. (Waiting for it is
    allowed here: this process is no worker, though an eager task run in one of its threads, as
    concurrency tests do, can leave Celery's process-wide "inside a task" flag set.)"""
    result = app.send_task("celery.accumulate", args=args)
    with allow_join_result():
        assert result.get(timeout=30) == list(args)
    return TaskResult.objects.get(task_id=result.id).worker


def test_two_worker_processes_run_tasks_on_the_test_database(celery_workers):
    names = {celery_workers.hostname(0), celery_workers.hostname(1)}
    assert len(names) == 2
    assert celery_workers.answering() == names

    stats = app.control.inspect(timeout=1).stats()
    assert {name: info["pid"] for name, info in stats.items()} == {
        celery_workers.hostname(i): process.pid for i, process in enumerate(celery_workers.processes)
    }
    assert os.getpid() not in {info["pid"] for info in stats.values()}
    assert run_on_a_worker(1, "two") in names


def test_a_killed_worker_stops_and_a_new_one_takes_its_place(celery_workers):
    killed = celery_workers.processes[0]
    pool = app.control.inspect(timeout=1, destination=[celery_workers.hostname(0)]).stats()
    (pool_process,) = pool[celery_workers.hostname(0)]["pool"]["processes"]

    celery_workers.kill(0)

    assert killed.returncode == -9
    assert pool_process_is_gone(pool_process)
    assert celery_workers.answering() == {celery_workers.hostname(1)}
    assert run_on_a_worker(3) == celery_workers.hostname(1)

    celery_workers.start(0)

    assert celery_workers.processes[0].pid != killed.pid
    assert celery_workers.answering() == {celery_workers.hostname(0), celery_workers.hostname(1)}


def pool_process_is_gone(pid: int) -> bool:
    """Whether the process has ended within a few seconds (its parent's end makes init reap it)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False

from celery import current_app

from config.celery import app


@app.task
def add(x, y):
    return x + y


def test_tasks_run_eagerly_in_process_without_a_broker():
    assert app.conf.task_always_eager is True
    result = add.delay(2, 3)
    # An eager result is computed already: no broker, no worker.
    assert result.successful()
    assert result.get(timeout=1) == 5
    assert current_app.main == "coopfund"

from celery import current_app
from celery.result import allow_join_result

from config.celery import app


@app.task
def add(x, y):
    return x + y


def test_tasks_run_eagerly_in_process_without_a_broker():
    assert app.conf.task_always_eager is True
    result = add.delay(2, 3)
    # An eager result is computed already: no broker, no worker.
    assert result.successful()
    with allow_join_result():  # an eager task run in a thread earlier can leave Celery's flag set
        assert result.get(timeout=1) == 5
    assert current_app.main == "coopfund"

import pytest
from django.db import connection


@pytest.mark.postgres
def test_the_postgresql_pass_runs_on_postgresql_15():
    assert connection.vendor == "postgresql"
    assert connection.pg_version // 10000 == 15


@pytest.mark.django_db
def test_the_time_zone_reaches_the_database_layer():
    from django.utils import timezone

    assert str(timezone.get_current_timezone()) == "Asia/Ho_Chi_Minh"

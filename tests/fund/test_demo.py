import io

import pytest
from django.core.management import CommandError, call_command

from fund.models import User


@pytest.mark.django_db
def test_demo_refuses_to_seed_a_production_database(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("demo", stdout=io.StringIO())
    assert not User.objects.exists()

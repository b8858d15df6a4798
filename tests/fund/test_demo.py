import io

import pytest
from django.core.management import CommandError, call_command

from fund.demo import DEMO_USERS, demo_password
from fund.models import User
from fund.roles import roles_of


@pytest.mark.django_db
def test_demo_creates_a_user_for_each_role_and_prints_the_passwords():
    out = io.StringIO()
    call_command("demo", force=True, stdout=out)
    for username, _name, roles in DEMO_USERS:
        user = User.objects.get(username=username)
        assert user.check_password(demo_password(username))
        assert roles_of(user) == roles
        assert demo_password(username) in out.getvalue()


@pytest.mark.django_db
def test_demo_can_run_again_without_duplicating():
    call_command("demo", force=True, stdout=io.StringIO())
    count = User.objects.count()
    User.objects.filter(username="officer").update(first_name="changed")
    call_command("demo", force=True, stdout=io.StringIO())
    assert User.objects.count() == count
    assert User.objects.get(username="officer").first_name != "changed"


@pytest.mark.django_db
def test_demo_refuses_to_seed_a_production_database(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("demo", stdout=io.StringIO())
    assert not User.objects.exists()

"""Settings come from the environment: check them in a fresh interpreter each time."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "x" * 20 + "-a-long-random-production-secret-0123456789",
    "DJANGO_ALLOWED_HOSTS": "coopfund.example.org",
}


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "CELERY_"))}
    clean["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True
    )


def settings_in_fresh_process(*names: str, **env: str) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: str(getattr(settings, n)) for n in {list(names)!r}}}))"
    )
    result = run_python(code, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_sqlite_is_the_default():
    found = settings_in_fresh_process("DATABASES")
    assert "django.db.backends.sqlite3" in found["DATABASES"]
    assert "db.sqlite3" in found["DATABASES"]


def test_database_url_switches_to_postgresql():
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "db = settings.DATABASES['default']; print(db['ENGINE'], db['NAME'], db['HOST'], db['PORT'])"
    )
    result = run_python(code, DATABASE_URL="postgres://fund:secret@db.internal:5433/coopfund")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.postgresql", "coopfund", "db.internal", "5433"]


def test_celery_is_eager_without_a_broker_and_real_with_one():
    eager = settings_in_fresh_process("CELERY_TASK_ALWAYS_EAGER")
    real = settings_in_fresh_process(
        "CELERY_TASK_ALWAYS_EAGER", "CELERY_BROKER_URL", CELERY_BROKER_URL="redis://localhost:6379/0"
    )
    assert eager == {"CELERY_TASK_ALWAYS_EAGER": "True"}
    assert real == {"CELERY_TASK_ALWAYS_EAGER": "False", "CELERY_BROKER_URL": "redis://localhost:6379/0"}


def test_language_time_and_money_defaults():
    assert settings.LANGUAGE_CODE == "vi"
    assert [code for code, _name in settings.LANGUAGES] == ["vi", "en"]
    assert settings.TIME_ZONE == "Asia/Ho_Chi_Minh"
    assert settings.USE_TZ
    assert settings.CURRENCIES == ("VND",)
    assert settings.DEFAULT_CURRENCY == "VND"
    assert settings.CURRENCY_DECIMAL_PLACES == 0


def test_debug_defaults_on_for_local_use_and_production_refuses_a_missing_secret():
    assert settings_in_fresh_process("DEBUG") == {"DEBUG": "True"}
    result = run_python("import django; django.setup()", DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_check_deploy_passes_with_production_variables():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}, **PRODUCTION_ENV},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("name", ["SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT"])
def test_production_turns_on_secure_cookies_and_https(name):
    assert settings_in_fresh_process(name, **PRODUCTION_ENV) == {name: "True"}

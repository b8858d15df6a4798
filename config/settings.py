"""Settings for CoopFund.

Everything that differs between a laptop and a production server comes from the
environment. With no environment at all the project runs on an embedded SQLite
database, runs Celery tasks eagerly and serves itself in debug mode on localhost.
"""

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# --- security ---------------------------------------------------------------

DEBUG = env_bool("DJANGO_DEBUG", default=True)
# The fallback key only ever serves a local debug run; production must set its own.
SECRET_KEY = (
    os.environ.get("DJANGO_SECRET_KEY") or "insecure-local-only-key-set-DJANGO_SECRET_KEY-in-production"
)
if not DEBUG and SECRET_KEY.startswith("insecure-"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", default=not DEBUG)
if env_bool("DJANGO_BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# No inline script or style anywhere, the admin and the API docs included: an injected
# <script> or on...= handler does not run. Pico's icons are data: images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# A session lasts one working day; a password change ends every other session of the user
# (Django checks each session against the password it was opened with).
SESSION_COOKIE_AGE = int(os.environ.get("DJANGO_SESSION_HOURS", "9")) * 3600

# --- applications -----------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "djmoney",
    "django_fsm",
    "django_htmx",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_celery_results",
    "axes",
    "auditlog",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "common",
    "fund",
    "ledger",
    "loans",
    "appraisal",
    "audit",
    "twofactor",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "fund.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # A user whose roles need a second factor sees nothing else until it gave one.
    "twofactor.middleware.SecondFactorRequired",
    # Who changes master data and from which address (audit.registry lists what is followed).
    "audit.middleware.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last: it turns a login refused for a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "fund.navigation.context",
            ],
            "builtins": ["fund.templatetags.money", "fund.templatetags.people", "fund.templatetags.dates"],
            "libraries": {"paging": "common.paging_tags", "tables": "common.table_tags"},
        },
    },
]

AUTH_USER_MODEL = "fund.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Axes first: it refuses a locked-out login before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- login lockout (django-axes) -------------------------------------------

# After this many failed logins for one username, or from one address, logging in is refused
# (on the site and in /admin/) until the cool-off ends or an administrator deletes the
# attempts in the admin (Axes > Access attempts). Every failure is also kept in the access
# failure log. A success does not reset the count: an attacker's own account must not wipe
# an address's failures.
AXES_FAILURE_LIMIT = int(os.environ.get("DJANGO_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("DJANGO_LOGIN_LOCKOUT_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_CALLABLE = "fund.views.locked_out"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
if env_bool("DJANGO_BEHIND_PROXY", default=False):
    # Every request comes from the proxy; the client's address is what nginx says it is.
    AXES_CLIENT_IP_CALLABLE = "fund.views.forwarded_client_ip"

# --- database ---------------------------------------------------------------

# SQLite needs nothing started. IMMEDIATE transactions take the write lock when a
# use case begins, so two writers queue instead of failing half-way.
SQLITE_DEFAULT = {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
    "OPTIONS": {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    },
}
DATABASE_URL = os.environ.get("DATABASE_URL", "")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    if DATABASE_URL
    else SQLITE_DEFAULT
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- language, time, money --------------------------------------------------

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
# The project's catalogue (`make messages`), then the Vietnamese of DRF's messages its own catalogue
# leaves in English (kept apart: `make messages` rewrites the first from the project's code alone).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_drf"]
# One date format per language (06/12/2026, 06 Dec 2026) in place of Django's own (issue 20).
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

CURRENCIES = ("VND",)
CURRENCY_CHOICES = [("VND", "VND")]
DEFAULT_CURRENCY = "VND"
CURRENCY_DECIMAL_PLACES = 0

# --- static and uploaded files ---------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded documents are never served from MEDIA_URL, not even in debug: views that check who
# asks hand them out (common.files). Behind nginx, set the prefix of an `internal` location
# that aliases MEDIA_ROOT and nginx sends the bytes (X-Accel-Redirect).
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))
DOCUMENTS_ACCEL_REDIRECT_PREFIX = os.environ.get("DJANGO_DOCUMENTS_ACCEL_REDIRECT_PREFIX", "")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
# Every .xlsx import (borrowers, households, repayments, the chart of accounts) is refused
# above these, before a row is converted: one upload must not hold a web worker for minutes.
IMPORT_MAX_BYTES = int(os.environ.get("COOPFUND_IMPORT_MAX_BYTES", 5 * 1024 * 1024))
# What an .xlsx (a zip) may unpack to: openpyxl reads its shared strings whole into memory.
IMPORT_MAX_UNPACKED_BYTES = int(os.environ.get("COOPFUND_IMPORT_MAX_UNPACKED_BYTES", 50 * 1024 * 1024))
IMPORT_MAX_ROWS = int(os.environ.get("COOPFUND_IMPORT_MAX_ROWS", 10_000))
# Who issues the documents the fund signs (the heading and date line of its .xlsx and printed pages).
DOCUMENT_ISSUER = "fund.selectors.issuer"

# Bringing a fund's portfolio in: the page checks the file while the accountant waits, so it
# takes a bounded file (rows per sheet); `manage.py import_portfolio` takes a province's
# portfolio (bench/onboarding.py brings 100 000 loans in).
PORTFOLIO_PAGE_MAX_BYTES = int(os.environ.get("COOPFUND_PORTFOLIO_PAGE_MAX_BYTES", 10 * 1024 * 1024))
PORTFOLIO_PAGE_MAX_ROWS = int(os.environ.get("COOPFUND_PORTFOLIO_PAGE_MAX_ROWS", 20_000))
PORTFOLIO_MAX_BYTES = int(os.environ.get("COOPFUND_PORTFOLIO_MAX_BYTES", 100 * 1024 * 1024))
PORTFOLIO_MAX_ROWS = int(os.environ.get("COOPFUND_PORTFOLIO_MAX_ROWS", 200_000))

# --- Celery -----------------------------------------------------------------

# No broker configured: tasks run in-process, so the embedded setup needs no Redis.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Close of day: loans per chunk, each chunk one task and one transaction (`loans.services.closing.runs`).
CLOSE_OF_DAY_CHUNK = int(os.environ.get("CLOSE_OF_DAY_CHUNK", "5000"))
# Rows on a page of a list (`common.paging`).
PAGE_SIZE = int(os.environ.get("COOPFUND_PAGE_SIZE", "50"))
# A report's .xlsx of more rows than this is written by a task, with a progress bar, and kept
# for its user this many days (bounded in size) (`loans.services.exports`).
EXPORT_BACKGROUND_ROWS = int(os.environ.get("COOPFUND_EXPORT_BACKGROUND_ROWS", "5000"))
EXPORT_KEEP_DAYS = int(os.environ.get("COOPFUND_EXPORT_KEEP_DAYS", "7"))
EXPORT_MAX_BYTES = int(os.environ.get("COOPFUND_EXPORT_MAX_BYTES", 100 * 1024 * 1024))

# --- notices (due-date reminders, `loans.services.reminders`) ---------------
# E-mail through Django's mail backend, set up from the environment (SMTP in production); text
# messages through the class SMS_SENDER names (`common.sms`: the default only logs them).
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "coopfund@localhost")
SMS_SENDER = os.environ.get("COOPFUND_SMS_SENDER", "common.sms.LogSender")

# --- API --------------------------------------------------------------------


def shared_cache(broker_url: str, database_url: str) -> dict:
    """The cache every process of the site shares (the API's throttle counts are kept in it):
    the broker's Redis when there is one; else the database when it is PostgreSQL (the site then
    runs in several processes; migrate makes the table); else this one process's memory (the
    embedded default runs in one)."""
    if broker_url.startswith(("redis://", "rediss://")):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": broker_url}
    if database_url:
        return {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "coopfund_cache"}
    return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}


CACHES = {"default": {**shared_cache(CELERY_BROKER_URL, DATABASE_URL), "KEY_PREFIX": "coopfund"}}

# A machine's token or a person's session; every answer JSON, every error one shape
# (`common.api.errors`); each user gets so many requests a minute (per address before logging in),
# counted in the shared cache.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First: an unauthenticated call is then a 401 that names the token scheme.
        "fund.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["common.api.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "common.api.paging.Pages",
    "DEFAULT_THROTTLE_CLASSES": ["common.api.paging.PerUser"],
    "DEFAULT_THROTTLE_RATES": {"user": os.environ.get("COOPFUND_API_RATE", "600/min")},
    "EXCEPTION_HANDLER": "common.api.errors.exception_handler",
    "DATE_FORMAT": "iso-8601",
    "DATETIME_FORMAT": "iso-8601",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CoopFund API",
    "DESCRIPTION": "Loan management for cooperative development funds",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema tells what the API offers: only to someone logged in.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # A browser is sent to log in (403, not the token's 401); a machine's token may read it too.
    "SERVE_AUTHENTICATION": [
        "rest_framework.authentication.SessionAuthentication",
        "fund.api.authentication.TokenAuthentication",
    ],
    # Swagger UI from the sidecar package: the docs page works without internet access.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per choice set that several fields share.
    "ENUM_NAME_OVERRIDES": {
        "BorrowerTypeEnum": "fund.models.borrowers.BorrowerType",
        "BorrowerStatusEnum": "fund.models.borrowers.BorrowerStatus",
        "ProductStatusEnum": "fund.models.products.ProductStatus",
        "FrequencyEnum": "fund.models.products.Frequency",
        "LoanStatusEnum": "loans.models.loan.LoanStatus",
        "RepaymentStatusEnum": "loans.models.money.Repayment.Status",
        "DisbursementStatusEnum": "loans.models.money.Disbursement.Status",
    },
}

# --- logging ----------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    # Failures and lockouts are warnings; axes' notes on its own housekeeping are not wanted.
    "loggers": {"axes": {"level": "WARNING"}},
}

# Every value date lies between the fund's opening date and its business date; the ledger's
# manual entries are held to it through this (the ledger imports no other app).
LEDGER_VALUE_DATE_CHECK = "fund.selectors.value_date_problem"

# The demo command runs these loaders in order; each app adds its own part of the demo fund.
DEMO_LOADERS = [
    "fund.demo.load",
    "loans.demo.load",
    "appraisal.demo.load",
    "loans.demo.load_servicing",
    "loans.demo.load_risk",
]

# --- audit trail (django-auditlog, audit/) ------------------------------------

# A changed foreign key is kept as the record it named then, not a number to look up later;
# changes are kept as JSON, whole; a masked field (a password) shows only that it changed.
AUDITLOG_USE_FK_STRING_REPRESENTATION = True
AUDITLOG_STORE_JSON_CHANGES = True
AUDITLOG_CHANGE_DISPLAY_TRUNCATE_LENGTH = -1
AUDITLOG_MASK_CALLABLE = "audit.registry.hidden"

# --- two-factor sign-in (django-otp, twofactor/) -----------------------------

# Approvers, accountants and administrators (staff) sign in with a second factor, an
# authenticator app's code or a recovery code; for the other roles it is optional. Off only for
# trying CoopFund out. A machine's API token is not asked.
TWO_FACTOR_REQUIRED = env_bool("COOPFUND_TWO_FACTOR", default=True)
TWO_FACTOR_ROLES = ("approver", "accountant")
OTP_TOTP_ISSUER = "CoopFund"
OTP_LOGIN_URL = "twofactor:verify"

# --- backups (common/backups.py: manage.py backup / restore) -----------------

BACKUP_DIR = Path(os.environ.get("COOPFUND_BACKUP_DIR", BASE_DIR / "backups"))
# Where pg_dump and pg_restore are, when not the server's own version's folder or on PATH.
BACKUP_PG_BIN = os.environ.get("COOPFUND_BACKUP_PG_BIN", "")

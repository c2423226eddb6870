"""Settings shared by every environment; each value a deployment changes comes from the environment."""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# A development key only; production.py refuses to start without SECRET_KEY.
SECRET_KEY = env("SECRET_KEY", "towers-development-key-not-for-production-use-0123456789")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "towers.core",
    "towers.organisations",
    "towers.contracts",
    "towers.sla",
    "towers.cmdb",
    "towers.servicedesk",
    "towers.soc",
    "towers.mobile",
    "towers.integration",
    "towers.reporting",
    "towers.transition",
    "towers.web",
    "towers.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "towers.core.logging.RequestLogMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "towers.organisations.middleware.ActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "towers.urls"
WSGI_APPLICATION = "towers.wsgi.application"
AUTH_USER_MODEL = "organisations.Person"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "towers.web.context.navigation",
            ],
        },
    },
]

DATA_DIR = Path(env("TOWERS_DATA_DIR", str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(env("DATABASE_URL", f"sqlite:///{DATA_DIR / 'towers.sqlite3'}"), conn_max_age=60)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; IMMEDIATE avoids lock-upgrade deadlocks.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(DATA_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", str(DATA_DIR / "mail"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "towers@localhost")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

# Where the shared, separately licensed data sets live (read, never copied into the repo).
TOWERS_SHARED_DATA = Path(env("TOWERS_SHARED_DATA", str(BASE_DIR.parent / "shared" / "data")))
# API pages: default and ceiling on `limit`.
TOWERS_PAGE_SIZE = 50
TOWERS_MAX_PAGE_SIZE = 500

LOG_FORMAT = env("LOG_FORMAT", "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "towers.core.logging.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.server": {"level": "WARNING"}},
}

# Attachments and other uploaded files.
MEDIA_ROOT = env("MEDIA_ROOT", str(DATA_DIR / "media"))
MEDIA_URL = "/media/"
# Inbound mail: the address tickets are mailed to, and the SMTP/LMTP listener's bind address.
TOWERS_DESK_ADDRESS = env("TOWERS_DESK_ADDRESS", "servicedesk@towers.localhost")
TOWERS_MAIL_LISTEN = env("TOWERS_MAIL_LISTEN", "127.0.0.1:8025")
# IMAP fetch (optional): imaps://user:password@host:993/INBOX
TOWERS_IMAP_URL = env("TOWERS_IMAP_URL")
TOWERS_NATS_URL = env("TOWERS_NATS_URL")  # JetStream for SOC event intake; blank: detection runs in-process
# Networks outbound calls (webhooks, partner tools) never reach: link-local (cloud metadata) and unspecified by
# default; add e.g. 10.0.0.0/8 where suppliers' tools are not on private networks.
TOWERS_OUTBOUND_DENIED_NETWORKS = env_list(
    "TOWERS_OUTBOUND_DENIED_NETWORKS", "169.254.0.0/16,fe80::/10,0.0.0.0/8,::/128,fd00:ec2::254/128"
)
# Where partners reach this Towers (scheme://host[:port], no trailing slash): supplier integrations register
# <TOWERS_PUBLIC_URL>/api/partners/<id>/listener/<secret> at each partner's TMF621 /hub.
TOWERS_PUBLIC_URL = env("TOWERS_PUBLIC_URL", "http://127.0.0.1:8000")
# MDM exports of more rows are checked in the request, then run by the worker (mobile/services/mdm_queue.py).
TOWERS_MDM_INLINE_ROWS = int(env("TOWERS_MDM_INLINE_ROWS", "2000"))

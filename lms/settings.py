"""Settings read from the environment.

Development (the default): DEBUG on, SQLite file under var/, a generated secret in .secret_key.
Production (DJANGO_ENV=production): DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS are required and
`manage.py check --deploy` is clean.
"""

import base64
import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from lms.net import trusted_proxies_parse

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("LMS_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PRODUCTION = os.environ.get("DJANGO_ENV", "development") == "production"
DEBUG = env_bool("DJANGO_DEBUG", not PRODUCTION) and not PRODUCTION


def _secret_key() -> str:
    if key := os.environ.get("DJANGO_SECRET_KEY"):
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production.")
    # Development only: generated once into an ignored file, never committed.
    path = BASE_DIR / ".secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "" if PRODUCTION else "localhost,127.0.0.1,[::1],testserver")
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set in production.")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
CSRF_FAILURE_VIEW = "lms.error_pages.csrf_failure"
# Reverse proxies in front of the app: a count ("1") or addresses/networks; the real client address is
# read from X-Forwarded-For behind them (lms.net). Malformed: refused here, at start.
LMS_TRUSTED_PROXIES = trusted_proxies_parse(os.environ.get("LMS_TRUSTED_PROXIES", ""))
if PRODUCTION and not os.environ.get("DATABASE_URL"):
    raise ImproperlyConfigured("DATABASE_URL must be set in production (postgres://user:password@host:5432/name).")

INSTALLED_APPS = [
    "lms.admin_site.OperatorAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "axes",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "rules.apps.AutodiscoverRulesConfig",
    "lms",
    "courses",
    "fieldwork",
    "fieldwork.projects",
    "certificates",
    "notifications",
    "config",  # the wiring above every app: URL tree and the demo command
]

MIDDLEWARE = [
    "lms.bodies.BodyLimitMiddleware",  # first: nothing may read a body before its limit is set
    "lms.net.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "lms.middleware.SecurityHeadersMiddleware",
    "lms.middleware.CompressionMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "lms.middleware.ChineseFirstLocaleMiddleware",
    "lms.middleware.ApiAnswersJsonMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "lms.logs.RequestIdMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "lms.middleware.RefuseNulBytesMiddleware",
    "lms.middleware.ApplicationErrorMiddleware",
    "lms.sessions_policy.SessionPolicyMiddleware",  # second factor, idle and absolute limits, password age
    "lms.middleware.PasswordChangeRequiredMiddleware",
    "axes.middleware.AxesMiddleware",
    "lms.idempotency.IdempotencyMiddleware",
]

if PRODUCTION:  # the dev server and the test live server serve static files themselves
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
        "whitenoise.middleware.WhiteNoiseMiddleware",
    )

# Request bodies (lms.bodies): forms and JSON take at most LMS_REQUEST_BODY_MAX; views that take files
# declare their own limit, at most LMS_UPLOAD_BODY_MAX (deploy/nginx.conf caps uploads the same); a body
# must arrive within LMS_BODY_READ_SECONDS.
LMS_REQUEST_BODY_MAX = int(os.environ.get("LMS_REQUEST_BODY_MAX", str(1024 * 1024)))
LMS_UPLOAD_BODY_MAX = int(os.environ.get("LMS_UPLOAD_BODY_MAX", str(110 * 1024 * 1024)))
LMS_BODY_READ_SECONDS = float(os.environ.get("LMS_BODY_READ_SECONDS", "120"))

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "lms.wsgi.application"

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
                "notifications.context_processors.unread",
            ],
        },
    },
]

DATABASES = {
    # An empty DATABASE_URL means the embedded default too.
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'lms.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
# A connection dropped by the server (restart, failover, idle timeout) is replaced before the request uses it.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # The dev server and a Celery worker share the file: wait for locks instead of failing.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "lms.User"
AUTHENTICATION_BACKENDS = [
    "lms.authentication.LoginThrottleBackend",  # first: refuses a locked account before any password check
    "rules.permissions.ObjectPermissionBackend",
    "lms.authentication.UsernameOrMobileBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "lms.passwords.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "lms.passwords.PasswordHistoryValidator", "OPTIONS": {"keep": 5}},
]
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600

# E-mail: printed on the console unless an SMTP host is given.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ.get("CACHE_URL", REDIS_URL),
        # Each pytest-xdist worker gets its own keys, so parallel tests never share counters.
        "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "lms") + os.environ.get("PYTEST_XDIST_WORKER", ""),
        # A Redis that stopped answering costs a request at most this long (counters then go per process).
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
    }
}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_ROOT = Path(os.environ.get("DJANGO_PRIVATE_ROOT", VAR_DIR / "private"))
# Files are private: no MEDIA_URL is served; downloads go through permission-checked views.


def private_storage_from(environ) -> dict:
    """The private storage: an S3-compatible bucket when AWS_STORAGE_BUCKET_NAME is set, else the local folder."""
    if not (bucket := environ.get("AWS_STORAGE_BUCKET_NAME", "")):
        return {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": MEDIA_ROOT}}
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": environ.get("AWS_S3_REGION_NAME") or None,
            "access_key": environ.get("AWS_ACCESS_KEY_ID") or None,
            "secret_key": environ.get("AWS_SECRET_ACCESS_KEY") or None,
            "location": environ.get("AWS_LOCATION", ""),
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": 300,
            # Names are random or fixed per certificate (deleted first): no existence check before each write.
            "file_overwrite": True,
            # Objects opened for reading spill to a temporary file past 2 MB instead of filling memory.
            "max_memory_size": 2 * 1024 * 1024,
            "signature_version": "s3v4",
        },
    }


STORAGES = {
    "default": private_storage_from(os.environ),
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("DJANGO_STATIC_COMPRESS", True)  # off when nginx compresses: collectstatic 10x faster
            else "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
        )
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["lms.permissions.HasRulePermission"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "lms.api_schema.ErrorDocumentingAutoSchema",
    "EXCEPTION_HANDLER": "lms.errors.api_exception_handler",
    # JSON nested past lms.json_input.MAX_DEPTH is a 400, not a RecursionError.
    "DEFAULT_PARSER_CLASSES": [
        "lms.json_input.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Community planner training LMS API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "AttendanceStatusEnum": "courses.models.AttendanceStatus",
        "EnrolmentStatusEnum": "courses.models.EnrolmentStatus",
    },
}

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Longer than any retry delay, so a delayed task is never redelivered in a loop.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3 * 3600}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A pool process warms WeasyPrint and the signing keys before it reports up: 8.4 s measured at load 11, 11.8 s at
# load 13. Celery's default (4 s) killed every replacement after a broker reconnect, in a loop, until a restart.
CELERY_WORKER_PROC_ALIVE_TIMEOUT = float(os.environ.get("CELERY_WORKER_PROC_ALIVE_TIMEOUT", "90"))

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# No inline script or style anywhere: templates load static/js and static/css only.
LMS_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# Answers whose body is itself a secret (the API token, the rotating check-in code) are never
# gzipped, whatever else BREACH mitigation does (lms.middleware.CompressionMiddleware).
LMS_UNCOMPRESSED_PATHS = [r"^/api/v1/auth/token/", r"^/sessions/\d+/screen"]
# Photos are chosen through the file picker (which needs no permission); nothing asks for sensors.
LMS_PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), magnetometer=(), gyroscope=(), accelerometer=()"
)
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]  # probes speak plain HTTP to the app directly
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# One line per event (time, level, logger, request id, user id), the same in web and workers (lms.logs).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")  # "json" for log collectors
# Login throttling (django-axes): failures are counted per account and address in the database,
# so the lock holds across web workers; page login, admin login and the token endpoint alike.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = int(os.environ.get("LMS_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LMS_LOGIN_LOCK_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The account's username whichever name (username or mobile) it signs in with: one count, one lock.
AXES_USERNAME_CALLABLE = "lms.authentication.account_username"
# Failed logins from one address across all accounts before that address is paused (lms.authentication).
LMS_LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("LMS_LOGIN_ADDRESS_FAILURE_LIMIT", "30"))
# Wrong old passwords on the change page per account, and reset e-mails asked per address and per e-mail,
# within the lock window (LMS_LOGIN_LOCK_MINUTES).
LMS_PASSWORD_RESET_PER_ADDRESS = int(os.environ.get("LMS_PASSWORD_RESET_PER_ADDRESS", "10"))
LMS_PASSWORD_RESET_PER_EMAIL = int(os.environ.get("LMS_PASSWORD_RESET_PER_EMAIL", "3"))
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "lms.clients.client_address"
AXES_LOCKOUT_CALLABLE = "lms.authentication.lockout_response"
AXES_VERBOSE = False
AXES_ENABLE_ADMIN = False  # its admin pages have no Chinese; operators unlock with `manage.py axes_reset_username`

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "lms.logs.ContextFilter"}},
    "formatters": {"line": {"()": "lms.logs.JsonFormatter" if LOG_FORMAT == "json" else "lms.logs.TextFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["context"], "formatter": "line"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # WeasyPrint logs seven "Step n" lines a render at INFO: three quarters of a worker's log.
    "loggers": {"weasyprint.progress": {"level": "WARNING"}},
}

# Certificates: the queue render tasks go to, the public address printed in QR codes, the sweep.
CERTIFICATES_QUEUE = os.environ.get("CERTIFICATES_QUEUE", "celery")
BOOKLET_QUEUE = os.environ.get("BOOKLET_QUEUE", "celery")
# Thumbnails and display copies of uploaded pictures, made by a worker after commit (lms.previews).
PREVIEWS_QUEUE = os.environ.get("PREVIEWS_QUEUE", "celery")
PREVIEWS_SWEEP_AFTER_SECONDS = int(os.environ.get("PREVIEWS_SWEEP_AFTER_SECONDS", "120"))
# A picture whose first frame decodes to more than this (width × height × bytes a pixel, WebP and 16-bit
# PNG counted twice) is refused at upload and never decoded (lms.uploads.decode_cost).
LMS_PICTURE_DECODE_BUDGET = int(os.environ.get("LMS_PICTURE_DECODE_BUDGET", str(128 * 1024 * 1024)))
# A preview task may grow its pool process by at most this much, and run at most this long (lms.tasks).
PREVIEWS_TASK_MEMORY_BYTES = int(os.environ.get("PREVIEWS_TASK_MEMORY_BYTES", str(512 * 1024 * 1024)))
PREVIEWS_TASK_SECONDS = int(os.environ.get("PREVIEWS_TASK_SECONDS", "60"))
LMS_PUBLIC_BASE_URL = os.environ.get("LMS_PUBLIC_BASE_URL", "http://127.0.0.1:8000")
# An enrolment sheet's row whose mobile belongs to an account with another name: a warning staff confirm per
# row (default), or, with this on, an error that refuses the sheet.
LMS_SHEET_REFUSE_OTHER_NAME = env_bool("LMS_SHEET_REFUSE_OTHER_NAME", False)
# A certificate left pending this long is re-queued by the sweep, which runs this often: lost work
# is back in the queue within AFTER + EVERY seconds (90 s by default).
CERTIFICATES_SWEEP_AFTER_SECONDS = int(os.environ.get("CERTIFICATES_SWEEP_AFTER_SECONDS", "60"))
CERTIFICATES_SWEEP_EVERY_SECONDS = float(os.environ.get("CERTIFICATES_SWEEP_EVERY_SECONDS", "30"))
# The batch page says "waiting for a worker" when none of its certificates changed for this long.
CERTIFICATES_STALLED_AFTER_SECONDS = int(os.environ.get("CERTIFICATES_STALLED_AFTER_SECONDS", "60"))
# A certificate fits on one page; a template is test-rendered on save within this many seconds, and a
# worker's render is cut at the soft limit (marked failed with the reason) and killed at the hard one.
CERTIFICATES_MAX_PAGES = 1
CERTIFICATES_TEMPLATE_RENDER_SECONDS = float(os.environ.get("CERTIFICATES_TEMPLATE_RENDER_SECONDS", "10"))
CERTIFICATES_RENDER_SOFT_SECONDS = float(os.environ.get("CERTIFICATES_RENDER_SOFT_SECONDS", "30"))
CERTIFICATES_RENDER_HARD_SECONDS = float(os.environ.get("CERTIFICATES_RENDER_HARD_SECONDS", "45"))
CERTIFICATES_RETRY_BASE_SECONDS = float(os.environ.get("CERTIFICATES_RETRY_BASE_SECONDS", "5"))
# Issuing more certificates than this at once sends their render tasks from a worker (one task fans them
# out), so the staff member's request does not wait for hundreds of sends.
CERTIFICATES_SENT_IN_REQUEST = 50
CERTIFICATES_VERIFY_RATE = (int(os.environ.get("CERTIFICATES_VERIFY_PER_MINUTE", "20")), 60)
# Districts' signing keys (private key + X.509 certificate per district code), outside the database and the
# repository: var/ is ignored by git; a deployment points this at its own protected folder.
# Read once, by the migration that moved file-based keys into the database (certificates 0003).
LMS_SIGNING_KEY_DIR = Path(os.environ.get("LMS_SIGNING_KEY_DIR", VAR_DIR / "signing-keys"))


def _key_encryption_key() -> str:
    """The key (AES-256, base64) that encrypts the districts' signing keys in the database: the same on every host."""
    if key := os.environ.get("LMS_KEY_ENCRYPTION_KEY"):
        return key
    if PRODUCTION:
        return ""  # signing refuses with a message naming this variable; everything else runs
    # Development only: generated once into an ignored file, like the secret key.
    path = BASE_DIR / ".key_encryption_key"
    if not path.exists():
        path.write_text(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
        path.chmod(0o600)
    return path.read_text().strip()


LMS_KEY_ENCRYPTION_KEY = _key_encryption_key()
# Resumable uploads (lms.tus, tus 1.0.0 at /api/v1/uploads/): largest file, unfinished ones per person, expiry.
TUS_MAX_SIZE = int(os.environ.get("TUS_MAX_SIZE", str(15 * 1024 * 1024)))
TUS_MAX_OPEN = int(os.environ.get("TUS_MAX_OPEN", "20"))
TUS_EXPIRE_HOURS = float(os.environ.get("TUS_EXPIRE_HOURS", "24"))
# Idempotency keys of creates (lms.idempotency) are kept this many days, then removed by beat.
IDEMPOTENCY_KEEP_DAYS = int(os.environ.get("IDEMPOTENCY_KEEP_DAYS", "30"))
CELERY_BEAT_SCHEDULE = {
    "certificates-sweep-pending": {"task": "certificates.sweep_pending", "schedule": CERTIFICATES_SWEEP_EVERY_SECONDS},
    "notifications-sweep-pending": {"task": "notifications.sweep_pending", "schedule": 300.0},
    "fieldwork-sweep-previews": {"task": "fieldwork.sweep_previews", "schedule": 60.0},
    "lms-idempotency-sweep": {"task": "lms.idempotency_sweep", "schedule": 3600.0},
    "lms-tus-sweep": {"task": "lms.tus_sweep", "schedule": 900.0},
    # Hourly, so a session scheduled late in the day is still announced; each reminder is recorded once.
    "notifications-sessions-tomorrow": {"task": "notifications.remind_sessions_tomorrow", "schedule": 3600.0},
    "notifications-assignments-due": {"task": "notifications.remind_assignments_due", "schedule": 3600.0},
    # On the hour, so each digest covers the full hour before it.
    "notifications-hand-in-digest": {"task": "notifications.digest_hand_ins", "schedule": crontab(minute=1)},
    "fieldwork-finalise-grades": {"task": "fieldwork.finalise_grades", "schedule": 3600.0},
    # The audit chain is walked every night; the operators' page shows the last result.
    "lms-audit-verify": {"task": "lms.audit_verify", "schedule": crontab(hour=3, minute=17)},
}

# Notifications: channels (a WeCom or SMS channel is one more class path), e-mail, retries.
NOTIFICATION_CHANNELS = env_list(
    "NOTIFICATION_CHANNELS", "notifications.channels.InAppChannel,notifications.channels.EmailChannel"
)
NOTIFICATIONS_QUEUE = os.environ.get("NOTIFICATIONS_QUEUE", "celery")
NOTIFICATIONS_MAX_ATTEMPTS = int(os.environ.get("NOTIFICATIONS_MAX_ATTEMPTS", "4"))
NOTIFICATIONS_RETRY_BASE_SECONDS = float(os.environ.get("NOTIFICATIONS_RETRY_BASE_SECONDS", "30"))
NOTIFICATIONS_SWEEP_AFTER_SECONDS = int(os.environ.get("NOTIFICATIONS_SWEEP_AFTER_SECONDS", "900"))
# SMS (notifications.channels.SmsChannel) tells time-critical notices: an event within this many hours. It is
# sent this many seconds after the notice, unless the person read it in the app by then.
NOTIFICATIONS_TIME_CRITICAL_HOURS = float(os.environ.get("NOTIFICATIONS_TIME_CRITICAL_HOURS", "24"))
NOTIFICATIONS_SMS_FALLBACK_SECONDS = float(os.environ.get("NOTIFICATIONS_SMS_FALLBACK_SECONDS", "600"))
NOTIFICATIONS_SMS_QUIET_HOURS = env_bool("NOTIFICATIONS_SMS_QUIET_HOURS", True)  # no SMS 22:00-08:00 Shanghai
# More deliveries than this from one change are queued by one worker task rather than by the request.
NOTIFICATIONS_SENT_IN_REQUEST = int(os.environ.get("NOTIFICATIONS_SENT_IN_REQUEST", "50"))
# E-mail (console unless EMAIL_HOST is set) is configured above with the password-reset settings.
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "20"))
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "noreply@localhost")

# The audit chain (lms.audit_chain): SM3 beside SHA-256 when on (needs the gmssl package); entries older
# than the retention period may be moved to a signed archive by `manage.py audit_archive` (never fewer than
# 184 days: the Cybersecurity Law's six months).
LMS_AUDIT_SM3 = env_bool("LMS_AUDIT_SM3", False)
LMS_AUDIT_RETENTION_DAYS = int(os.environ.get("LMS_AUDIT_RETENTION_DAYS", "190"))
if LMS_AUDIT_RETENTION_DAYS < 184:
    raise ImproperlyConfigured("LMS_AUDIT_RETENTION_DAYS must be at least 184 (six months of audit).")

# Signing in (lms.second_factor, lms.sessions_policy): which roles give a second factor (comma-separated:
# staff, operators, instructors; empty: nobody), how long a session may sit idle or last at all, and when
# privileged passwords expire (a warning shows in the week before).
LMS_SECOND_FACTOR_ROLES = set(env_list("LMS_SECOND_FACTOR_ROLES", "staff,operators"))
LMS_IDLE_TIMEOUT_PRIVILEGED_MINUTES = int(os.environ.get("LMS_IDLE_TIMEOUT_PRIVILEGED_MINUTES", "30"))
LMS_IDLE_TIMEOUT_MINUTES = int(os.environ.get("LMS_IDLE_TIMEOUT_MINUTES", "480"))
LMS_SESSION_MAX_HOURS = int(os.environ.get("LMS_SESSION_MAX_HOURS", "12"))
SESSION_COOKIE_AGE = LMS_SESSION_MAX_HOURS * 3600
LMS_PASSWORD_MAX_AGE_DAYS = int(os.environ.get("LMS_PASSWORD_MAX_AGE_DAYS", "90"))

# SMS, chosen like EMAIL_BACKEND: `console` (printed by the process that sends it, on its log), or
# providers tried in order with failover on a provider error (`aliyun,tencent`).
SMS_BACKEND = env_list("SMS_BACKEND", "console")
SMS_SIGN_NAME = os.environ.get("SMS_SIGN_NAME", "社区规划师")
# Sign-in codes by SMS: per number 1 a minute, 5 an hour, 10 a day (fixed); per client address this many an hour.
SMS_CODES_PER_ADDRESS_PER_HOUR = int(os.environ.get("SMS_CODES_PER_ADDRESS_PER_HOUR", "20"))
SMS_TIMEOUT_SECONDS = float(os.environ.get("SMS_TIMEOUT_SECONDS", "10"))
SMS_ALIYUN_ACCESS_KEY_ID = os.environ.get("SMS_ALIYUN_ACCESS_KEY_ID", "")
SMS_ALIYUN_ACCESS_KEY_SECRET = os.environ.get("SMS_ALIYUN_ACCESS_KEY_SECRET", "")
SMS_ALIYUN_ENDPOINT = os.environ.get("SMS_ALIYUN_ENDPOINT", "https://dysmsapi.aliyuncs.com")
SMS_ALIYUN_TEMPLATE_CODE = os.environ.get("SMS_ALIYUN_TEMPLATE_CODE", "")
SMS_ALIYUN_TEMPLATE_NOTICE = os.environ.get("SMS_ALIYUN_TEMPLATE_NOTICE", "")
SMS_TENCENT_SECRET_ID = os.environ.get("SMS_TENCENT_SECRET_ID", "")
SMS_TENCENT_SECRET_KEY = os.environ.get("SMS_TENCENT_SECRET_KEY", "")
SMS_TENCENT_APP_ID = os.environ.get("SMS_TENCENT_APP_ID", "")
SMS_TENCENT_REGION = os.environ.get("SMS_TENCENT_REGION", "ap-guangzhou")
SMS_TENCENT_ENDPOINT = os.environ.get("SMS_TENCENT_ENDPOINT", "https://sms.tencentcloudapi.com")
SMS_TENCENT_TEMPLATE_CODE = os.environ.get("SMS_TENCENT_TEMPLATE_CODE", "")
SMS_TENCENT_TEMPLATE_NOTICE = os.environ.get("SMS_TENCENT_TEMPLATE_NOTICE", "")

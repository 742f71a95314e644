"""Citynet settings: one module, every deploy-specific value read from the environment.

A fresh clone runs with DJANGO_DEBUG=true on SQLite; production differs only by
environment variables (see README, "Configuration").
"""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE
from csp.constants import SELF
from csp.constants import UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str = "false") -> bool:
    """Parse a boolean strictly, so a typo such as DJANGO_DEBUG=flase stops the start."""
    value = os.environ.get(name, default).strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use true or false)")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number") from None


def envrate(name: str, default: str) -> str:
    """An API throttle rate such as 120/min, checked now rather than on the first request."""
    value = os.environ.get(name, default).strip()
    count, _, period = value.partition("/")
    if not count.isdigit() or period not in {"s", "sec", "second", "m", "min", "minute", "h", "hour", "d", "day"}:
        raise ImproperlyConfigured(f"{name}={value!r} is not a rate such as 120/min (periods: s, min, hour, day)")
    return value


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DJANGO_DEBUG")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off (for local work, set DJANGO_DEBUG=true)."
        )
    SECRET_KEY = "django-insecure-local-development-only"

ALLOWED_HOSTS = envlist("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("DJANGO_CSRF_TRUSTED_ORIGINS")

# HTTPS, cookies and security headers (README, "Deploying"). With DEBUG off each defaults to the
# strict choice; the switches exist for a plain-HTTP trial on a loopback address.
PRODUCTION = "false" if DEBUG else "true"
SECURE_SSL_REDIRECT = envbool("DJANGO_SECURE_SSL_REDIRECT", PRODUCTION)
# Load balancers probe the health endpoint over plain HTTP and follow no redirect.
SECURE_REDIRECT_EXEMPT = [r"^healthz(/live)?$"]
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = envbool("DJANGO_SECURE_COOKIES", PRODUCTION)
SECURE_HSTS_SECONDS = envint("DJANGO_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = envbool("DJANGO_HSTS_PRELOAD", PRODUCTION)
# Only behind a proxy that sets X-Forwarded-Proto itself: a client could otherwise claim HTTPS.
if envbool("DJANGO_SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies append to X-Forwarded-For in front of the site. 0: the client's address is
# REMOTE_ADDR, and a forged X-Forwarded-For cannot dodge throttling or the login lockout.
TRUSTED_PROXIES = envint("DJANGO_TRUSTED_PROXIES", 0)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy (django-csp; citynet/middleware.py relaxes it for the API docs only).
# Scripts come only from this site's static files: pages carry data in json_script blocks, never
# inline code. plotly.js writes style attributes into the charts it draws, hence inline styles.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# Failed logins (django-axes): after this many failures from one address, or for one username,
# logging in is refused for the cool-off time, even with the right password.
AXES_FAILURE_LIMIT = envint("DJANGO_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = envint("DJANGO_LOGIN_COOLOFF_MINUTES", 30) / 60  # hours
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "citynet.middleware.client_address"
AXES_LOCKOUT_CALLABLE = "citynet.middleware.lockout_response"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "csp",
    "axes",
    "corsheaders",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "simple_history",
    "citynet",
    "cities",
    "networks",
]

MIDDLEWARE = [
    # First: every answer gets its X-Request-ID, every request its access line (citynet/logs.py).
    "citynet.logs.RequestIdMiddleware",
    # A 308 (not SecurityMiddleware's 301) from http to https for a write.
    "citynet.middleware.HttpsRedirectForWritesMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Early, before anything that may answer: CORS headers on every /api/ answer, and the
    # answer to a CORS preflight (django-cors-headers).
    "corsheaders.middleware.CorsMiddleware",
    "citynet.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the database: which one this request reads from (citynet/replica.py).
    "citynet.replica.ReplicaRoutingMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The API's RateLimit-*, Vary and Cache-Control headers, also on its 308s and cached answers.
    "citynet.middleware.ApiHeadersMiddleware",
    # ETag and Last-Modified from the data version on API reads, and 304 before any view runs;
    # then gzip for the API's JSON and CSV (citynet.conditional).
    "citynet.conditional.ApiConditionalGetMiddleware",
    "citynet.conditional.ApiGZipMiddleware",
    # Before CommonMiddleware: an /api/ address without its slash gets a 308 that keeps the
    # method and body (CommonMiddleware's 301 turns a write into a read); a body too large, a 413.
    "citynet.middleware.ApiRequestMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records the signed-in user on every history entry (django-simple-history).
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: turns a refused login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "citynet.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # "Cite this view" on every page (templates/_cite.html).
                "citynet.context_processors.citation",
            ],
        },
    },
]

WSGI_APPLICATION = "citynet.wsgi.application"

DATABASES = {"default": dj_database_url.config(default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=600)}
# PostgreSQL's JIT compiles a large query before running it: a search over 650,000 evidence items
# spent ~1.1 s of its 1.3 s compiling. A web app's short queries never gain from it.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"

# A streaming replica of the PostgreSQL primary (README, "Read replica"): reads by visitors who
# are not signed in go to it while it is at most DATABASE_REPLICA_MAX_LAG seconds behind, else to
# the primary (citynet/replica.py); writes, signed-in requests and migrations never do.
DATABASE_REPLICA_MAX_LAG = envint("DATABASE_REPLICA_MAX_LAG", 5)
if os.environ.get("DATABASE_REPLICA_URL", "").strip():
    DATABASES["replica"] = dj_database_url.parse(os.environ["DATABASE_REPLICA_URL"].strip(), conn_max_age=600)
    # Tests read the primary's test database there (it streams the whole cluster): never created.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    if DATABASES["replica"]["ENGINE"] == "django.db.backends.postgresql":
        # A replica that does not answer is given up on in 2 s (its reads then go to the primary).
        DATABASES["replica"].setdefault("OPTIONS", {}).update({"connect_timeout": 2, "options": "-c jit=off"})
    DATABASE_ROUTERS = ["citynet.db_routers.ReplicaRouter"]

# CORS (django-cors-headers): the API may be read from any origin, by scripts on other sites,
# but only read (GET, HEAD, OPTIONS) and never with the browser's credentials (no cookies), so
# another site can neither write nor read as a signed-in user. Nothing outside /api/ is shared.
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_EXPOSE_HEADERS = [
    "ETag",
    "Retry-After",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "Content-Disposition",
]

# "default" keeps the API's throttle counts; "pages" keeps citynet.caching's rendered pages,
# keyed on the data version. Without REDIS_URL both are per server process (LocMemCache). With
# REDIS_URL (redis://host:6379/0) every process of every app server shares them, each alias under
# its own key prefix: a throttle limit holds across servers, and a page built once serves them
# all. If Redis cannot be reached, reads miss and writes are skipped (citynet/redis_cache.py):
# pages come from the database and throttles let requests through. Login lockouts (django-axes)
# are kept in the database, so they hold across servers either way.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
# Every key starts with this, so several sites (or test runs) can share one Redis database.
REDIS_KEY_PREFIX = os.environ.get("CITYNET_REDIS_PREFIX", "").strip() or "citynet"
if REDIS_URL:
    if not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(f"REDIS_URL={REDIS_URL!r} is not a redis://, rediss:// or unix:// address")
    CACHES = {
        alias: {
            "BACKEND": "citynet.redis_cache.FailSoftRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"{REDIS_KEY_PREFIX}:{alias}",
        }
        for alias in ("default", "pages")
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "citynet-default"},
        "pages": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "citynet-pages",
            "OPTIONS": {"MAX_ENTRIES": 500},
        },
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    # First, so a locked-out address or username is refused before its password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": os.environ.get(
            "DJANGO_STATICFILES_STORAGE",
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

# Where `manage.py make_release` writes data release bundles and /releases/ serves them from.
# Empty: networks/research/releases/files.py decides ($XDG_DATA_HOME/citynet/releases, outside the repository).
CITYNET_RELEASES_DIR = os.environ.get("CITYNET_RELEASES_DIR", "")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Admin import and export (django-import-export). Every import runs in one transaction;
# importing needs the add and change permissions (cities/admin.py), exporting the view one.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
# Uploads wait for the confirm step in the temp folder, not in memory or the cache.
IMPORT_EXPORT_TMP_STORAGE_CLASS = "import_export.tmp_storages.TempFolderStorage"

REST_FRAMEWORK = {
    # Token first, so a write without credentials gets 401 with a WWW-Authenticate header.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    # DRF's three, with a JSON parser that refuses deeply nested bodies with 400 (citynet/parsers.py).
    # JSON only: form and multipart bodies flatten nested values (a coding's evidence) and read
    # a malformed boolean as false, so they could not keep the schema's promises (a 415 says
    # to send JSON). The browsable API then offers its JSON editor, not an HTML form.
    "DEFAULT_PARSER_CLASSES": ["citynet.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Per client: anonymous by address, signed in by user. The counts live in the default cache:
    # shared with REDIS_URL; otherwise per process, so with N workers a client may make N times the rate.
    # DRF's, recording what they counted for the RateLimit-* headers (citynet/throttling.py).
    "DEFAULT_THROTTLE_CLASSES": [
        "citynet.throttling.AnonRateThrottle",
        "citynet.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": envrate("DJANGO_API_THROTTLE_ANON", "120/min"),
        "user": envrate("DJANGO_API_THROTTLE_USER", "600/min"),
    },
    "NUM_PROXIES": TRUSTED_PROXIES,
    # `?format=` wins over the Accept header, whose q-values count (citynet/negotiation.py).
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "citynet.negotiation.QualityContentNegotiation",
    # Every error body but a validation error's carries a machine-readable `code` (citynet/errors.py).
    "EXCEPTION_HANDLER": "citynet.errors.exception_handler",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Citynet API",
    # What the API promises its clients, shown at the top of /api/v1/docs/ and the schema.
    "DESCRIPTION": (BASE_DIR / "networks" / "api" / "description.md").read_text(encoding="utf-8"),
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No badge from validator.swagger.io: the docs load nothing from outside the site.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_INCLUDE_SCHEMA": False,
    # The default enum hook, then links from each create to the object's operations.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "networks.api.schema.add_links",
    ],
    "ENUM_NAME_OVERRIDES": {
        "CityKindEnum": "cities.models.City.Kind",
        "SourceKindEnum": "networks.models.Source.Kind",
        "SubNetworkKindEnum": "networks.models.SubNetwork.Kind",
        "CodeKindEnum": "networks.models.Code.Kind",
        "EvidenceKindEnum": "networks.models.Evidence.Kind",
        "DatePrecisionEnum": "networks.dates.DatePrecision",
    },
}

# Logs (README, "Health and logs"; citynet/logs.py): to stderr, one JSON object per line in
# production, plain text under DEBUG; DJANGO_LOG_FORMAT chooses either. Every record carries
# the request id. One access line per request (off under DEBUG: runserver prints its own), and
# every SQL statement that takes at least CITYNET_SLOW_QUERY_MS (0: all; negative: none).
LOG_FORMAT = os.environ.get("DJANGO_LOG_FORMAT", "").strip().lower() or ("text" if DEBUG else "json")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"DJANGO_LOG_FORMAT={LOG_FORMAT!r} is neither json nor text")
CITYNET_SLOW_QUERY_MS = envint("DJANGO_SLOW_QUERY_MS", 200)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "citynet.logs.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "citynet.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": LOG_FORMAT},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
    "loggers": {
        # Django's own console and mail handlers dropped: its records reach the one above, once.
        "django": {"handlers": [], "level": "INFO"},
        "citynet.access": {"level": "INFO" if envbool("DJANGO_ACCESS_LOG", PRODUCTION) else "WARNING"},
    },
}

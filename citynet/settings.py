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
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "simple_history",
    "cities",
    "networks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "citynet.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
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

# Per server process. "default" keeps the API's throttle counts and the login lockout's cache;
# "pages" keeps citynet.caching's rendered pages, emptied whenever the data change.
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
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Per client: anonymous by address, signed in by user. The counts live in the default cache,
    # which is per process (LocMemCache): with N workers a client may make up to N times the rate.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": envrate("DJANGO_API_THROTTLE_ANON", "120/min"),
        "user": envrate("DJANGO_API_THROTTLE_USER", "600/min"),
    },
    "NUM_PROXIES": TRUSTED_PROXIES,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Citynet API",
    "DESCRIPTION": """Cities, international city networks, memberships and coded network functions.

**Access.** Everyone may read. Creating, changing and deleting need a staff account with
the model's add, change or delete permission, as in the admin (the `editor` role; read-only
staff may not write): a browser session, or `Authorization: Token <key>` (staff get a key
from an administrator; `manage.py drf_create_token <username>`). Without credentials a
write gets 401; an account without the permission gets 403.

**Addresses.** Objects are addressed by their natural key where there is one:
`/api/v1/cities/oslo/`, `/api/v1/networks/eurocities/`, `/api/v1/codes/knowledge/` (the
current codebook; `?version=<label>` for another); the others by id. Related objects are
written and shown by their keys (`"city": "oslo"`) and come with their names.

**Lists.** JSON lists are pages: `count`, `next`, `previous`, `attribution`, `results`;
`?page=n` and `?page_size=m` (default 50, at most 500; a larger size is capped). A page
past the last one is empty. Filters are plain query parameters, so every list URL is a
permalink; a parameter taking several values accepts it repeated or comma separated
(alternatives), different parameters must all hold. `search` searches names (and, for
codings, the evidence text); `ordering` sorts. A value that matches nothing gives an
empty list; a malformed value (`?member_on=notadate`) gives 400 naming the parameter.

**Aggregates.** `/api/v1/matrix/` (the city × code comparison table, with evidence),
`/api/v1/<resource>/facets/?dimension=...` (counts of a filtered list, with the list's
filters) and `/api/v1/cities/<slug>/portfolio/` (a city's networks and what each serves).

**CSV.** Add `?format=csv` (or send `Accept: text/csv`) to any list or aggregate: the
download holds ALL matching rows (not one page), streamed, UTF-8 without BOM, with the
same column names as the JSON fields (nested evidence joined with ` | `). Strings are
quoted, numbers are not; a cell starting with `=`, `+`, `-` or `@` is prefixed with `'` so
spreadsheets do not run it as a formula.

**Sources and licences.** Every list and aggregate names what its data come from: in JSON
the `attribution` field (a list of lines), in CSV the same lines as leading comment lines
starting with `#`, after a first line giving the download's URL and retrieval time (read it
with e.g. `pandas.read_csv(url, comment="#")`, or skip lines starting with `#`). Place data
(coordinates, population, GeoNames ids) carry: "Contains data from GeoNames
(https://www.geonames.org/), licensed CC BY 4.0." Codings, evidence and other data from a
study carry that study's full citation. Each membership, participation and engagement row
also keeps its own source columns. Keep these lines with the data when you share it.

**Two editors at once.** A membership or coding read by id comes with an `ETag` header,
its version (it changes with every save; creating and changing answer with the new one).
To change or delete it only if nobody has saved it since you read it, send that value back
in `If-Match`: if it no longer matches, nothing is written and the answer is 412, saying
who saved it and when, with `current_etag` and `current_updated_at`. A client that cannot
set headers may instead send back the `updated_at` it read in the body of a PUT or PATCH
(409 if it no longer matches). Read the record again, redo the change on what it is now and
send it with the new version. A write without `If-Match` or `updated_at` is made
unconditionally, and may overwrite a change made since you read the record.

**Errors.** 400: invalid input, with messages keyed by field or parameter (the models' own
rules, e.g. a membership that ends before it starts, are checked on every write);
401/403: see Access; 404: no such object; 409: a delete refused because other records
refer to the object, or a change based on an `updated_at` that is no longer the record's;
412: a change or delete whose `If-Match` is no longer the record's version; 429: too many
requests from one client (see `Retry-After`).""",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No badge from validator.swagger.io: the docs load nothing from outside the site.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_INCLUDE_SCHEMA": False,
    "ENUM_NAME_OVERRIDES": {
        "CityKindEnum": "cities.models.City.Kind",
        "SourceKindEnum": "networks.models.Source.Kind",
        "SubNetworkKindEnum": "networks.models.SubNetwork.Kind",
        "CodeKindEnum": "networks.models.Code.Kind",
        "EvidenceKindEnum": "networks.models.Evidence.Kind",
        "DatePrecisionEnum": "networks.dates.DatePrecision",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}

import uuid

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.test import override_settings
from rest_framework.throttling import SimpleRateThrottle

from networks.services import EDITOR
from networks.services import READ_ONLY_STAFF
from tests.factories import UserFactory


@pytest.fixture(autouse=True, scope="session")
def _plain_http_and_roomy_throttles():
    # Tests run with DEBUG off, so production's HTTPS redirect would send the test client and
    # the live server to https://; tests/citynet/test_security.py checks the redirect itself. Session-wide,
    # because the live server builds its middleware once. The API's throttle counts outlive a test
    # (the cache), so the suite gets roomy rates; tests/citynet/test_security.py proves 429s with tiny ones.
    with override_settings(SECURE_SSL_REDIRECT=False), pytest.MonkeyPatch.context() as patch:
        patch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "100000/min", "user": "100000/min"})
        yield


@pytest.fixture(autouse=True, scope="session")
def _redis_keys_of_this_run():
    # With REDIS_URL the caches live in Redis, past the run and beside other data: this run's keys
    # get a prefix of their own (clear() deletes by prefix, citynet/redis_cache.py), so neither a
    # developer's data nor a concurrent run's counts are touched, and they are deleted at the end.
    if not settings.REDIS_URL:
        yield
        return
    run = f"citynet-tests-{uuid.uuid4().hex[:12]}"
    own = {alias: {**config, "KEY_PREFIX": f"{run}:{alias}"} for alias, config in settings.CACHES.items()}
    with override_settings(CACHES=own):
        yield
        for alias in own:
            caches[alias].clear()


@pytest.fixture(autouse=True)
def _empty_caches():
    # No test finds another's cached pages or throttle counts (a per-process cache keeps them for
    # the whole run, Redis for longer).
    for alias in settings.CACHES:
        caches[alias].clear()


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # The manifest storage needs collectstatic; tests serve static files from the source folders.
    settings.WHITENOISE_AUTOREFRESH = True
    settings.WHITENOISE_USE_FINDERS = True
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def staff_user(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def reader(db):
    """An authenticated user without staff rights."""
    return UserFactory()


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def editor(db):
    """A staff user in the editor role (`manage.py setup_roles`)."""
    return UserFactory(is_staff=True, role=EDITOR)


@pytest.fixture
def read_only_staff(db):
    """A staff user in the read-only staff role (`manage.py setup_roles`)."""
    return UserFactory(is_staff=True, role=READ_ONLY_STAFF)


User = get_user_model()

"""The cache that every app server shares when REDIS_URL is set (settings.CACHES).

Django's own RedisCache, with the changes a site run on several app servers needs:

- An outage of Redis degrades the site, it does not break it. A read that fails is a miss and
  a write that fails is skipped, so pages are built from the database and the API's throttles
  let requests through (they fail open) until Redis answers again. The first failure is
  logged once; for `RESTING_SECONDS` after any failure the process does not try again, so an
  unreachable Redis costs one short timeout per process now and then, not one per request.
- `clear()` deletes only this cache's own keys (those under its KEY_PREFIX), never FLUSHDB:
  the same Redis database holds the other alias's keys (the throttle counts beside the pages),
  and may hold another site's or a developer's data.
- Timeouts short enough that a request never waits long on Redis, and one retry without
  backoff (redis-py's own default is ten, with backoff: seconds per request while Redis is down).

Counters (`incr`, `decr`) are left as Django has them: nothing here uses them.
"""

import logging
import re
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

logger = logging.getLogger(__name__)

RESTING_SECONDS = 5.0
# Connecting is quick on a working network; reading allows for a page of a few megabytes.
DEFAULT_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 2.0}
DELETE_BATCH = 500
# Per process and Redis address (both aliases share it): until when not to try after a failure.
_resting_until: dict[str, float] = {}


class FailSoftRedisCache(RedisCache):
    """RedisCache whose reads miss and writes are skipped while Redis cannot be reached."""

    def __init__(self, server, params):
        super().__init__(server, params)
        # One retry at once: a pooled connection that Redis closed (a restart) is opened again.
        self._options = {**DEFAULT_OPTIONS, "retry": Retry(NoBackoff(), 1), **self._options}

    def _attempt(self, fallback, operation, *args, **kwargs):
        """`operation(*args, **kwargs)`, or `fallback` if Redis fails or failed moments ago."""
        location = self.location
        if time.monotonic() < _resting_until.get(location, 0.0):
            return fallback
        try:
            result = operation(*args, **kwargs)
        except RedisError as error:
            if location not in _resting_until:
                logger.warning(
                    "Redis at %s failed (%s): serving without the shared cache, trying again every %g s",
                    location,
                    error,
                    RESTING_SECONDS,
                )
            _resting_until[location] = time.monotonic() + RESTING_SECONDS
            return fallback
        if _resting_until.pop(location, None) is not None:
            logger.warning("Redis at %s answers again: the shared cache is back in use", location)
        return result

    @property
    def location(self) -> str:
        """The first server's address, without a password."""
        return re.sub(r"//[^@/]*@", "//", self._servers[0])

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._attempt(False, super().add, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._attempt(default, super().get, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._attempt(None, super().set, key, value, timeout, version)

    def incr(self, key, delta=1, version=None):
        # A missing key is still a ValueError, as Django's caches give it; a failure is None.
        return self._attempt(None, super().incr, key, delta, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._attempt(False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._attempt(False, super().delete, key, version)

    def get_many(self, keys, version=None):
        return self._attempt({}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._attempt(False, super().has_key, key, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._attempt(list(data), super().set_many, data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._attempt(None, super().delete_many, keys, version)

    def clear(self) -> bool:
        """Delete this cache's keys (its KEY_PREFIX), leaving every other key in the database."""
        return self._attempt(False, self._delete_own_keys)

    def _delete_own_keys(self) -> bool:
        client = self._cache.get_client(None, write=True)
        # Django's keys read "<prefix>:<version>:<key>" (BaseCache.make_key).
        pattern = re.sub(r"([*?\[\]\\])", r"\\\1", self.key_prefix) + ":*"
        batch = []
        for key in client.scan_iter(match=pattern, count=1000):
            batch.append(key)
            if len(batch) >= DELETE_BATCH:
                client.unlink(*batch)
                batch = []
        if batch:
            client.unlink(*batch)
        return True

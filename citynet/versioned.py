"""Small facts derived from the data that request after request asks again — the newest release
a citation names, the studies a filtered list cites — kept in this process for as long as the
data version (citynet.dataversion) is unchanged, so that they cost no query but the first.

Unlike citynet.caching's pages, these are not responses: each is a few bytes, and what they are
derived from is named by the caller's key. A request whose data version is unknown (inside a
transaction: a test's, a write's) computes the fact every time, as a page there is never cached.
The version is the one the request already read (`request_data_version`), so a fact is never
newer or older than the data the same request shows. Per process, bounded in entries; emptied
when the version moves on.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Hashable
from typing import TypeVar

from citynet.caching import request_data_version

T = TypeVar("T")
_memos: list[PerDataVersion] = []


def forget_all() -> None:
    """Empty every memo (as a new data version would): for measurements of a first request."""
    for memo in _memos:
        memo.values = {}
        memo.tag = None


class PerDataVersion:
    """A memo of facts keyed by the caller, for one data version at a time."""

    def __init__(self, limit: int = 1024):
        self.limit = limit
        self.tag: str | None = None
        self.values: dict[Hashable, object] = {}
        _memos.append(self)

    def get(self, request, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()`'s value for `key` at `request`'s data version, computed once per version."""
        version = request_data_version(request) if request is not None else None
        if version is None:
            return compute()
        values = self.values
        if version.tag != self.tag:
            # A new dict rather than clear(): another thread may still read the old one.
            values = self.values = {}
            self.tag = version.tag
        try:
            return values[key]
        except KeyError:
            pass
        if len(values) >= self.limit:
            values.clear()
        value = values[key] = compute()
        return value

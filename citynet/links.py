"""`slug_url`: `reverse(name, args=[slug])` for the hundreds of links a page makes to places and
networks, without matching the URL pattern again for each one.

A network page links to its first members, its codings and its map's places: about 870
`reverse()` calls, 35 ms of a cold page. The URL of a placeholder slug is reversed once per
script prefix and URL configuration; each link then puts its slug in (a slug, [-a-zA-Z0-9_]+,
is the same quoted or not)."""

import functools

from django.conf import settings
from django.urls import get_script_prefix
from django.urls import get_urlconf
from django.urls import reverse

PLACEHOLDER = "citynet-slug-placeholder"


@functools.lru_cache(maxsize=64)
def _parts(name: str, prefix: str, urlconf: str) -> tuple[str, str]:
    before, _, after = reverse(name, args=[PLACEHOLDER]).partition(PLACEHOLDER)
    return before, after


def slug_url(name: str, slug: str) -> str:
    """The URL named `name` for `slug`: what `reverse(name, args=[slug])` gives."""
    before, after = _parts(name, get_script_prefix(), str(get_urlconf() or settings.ROOT_URLCONF))
    return f"{before}{slug}{after}"

"""Who may read which evidence, and what the others are shown instead.

Evidence is a public quote, paraphrase only (the verbatim text may not be published; its
`public_paraphrase` may), or restricted (e.g. a confidential interview: nothing of it is
shown). A reader with the permission `networks.view_restricted_evidence` (editors, and
superusers implicitly) sees every text verbatim; everyone else sees, for paraphrase-only
evidence, the public paraphrase as a paraphrase, and for restricted evidence only that it
exists: its kind and source, with no text, original text or locator. Restricted items are
still counted, so every count is the same for every reader.

The masking itself happens in the database (`Evidence.objects.for_reader()`), so a page,
an export or a `values_list()` gets the masked values and never the verbatim ones; this
module only decides who is allowed, and keeps pages built for allowed readers out of the
cache every visitor shares.
"""

import functools
from typing import TYPE_CHECKING
from typing import TypeAlias

from citynet.caching import cached_response

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

PERMISSION = "networks.view_restricted_evidence"
# networks.api.viewsets's `cache_pages` for lists showing evidence: cached for readers without the permission.
PUBLIC_READERS = "public readers"
# What a reader without the permission sees where a restricted item's text would be.
RESTRICTED_LABEL = "Restricted evidence"


class Operator:
    """The reader of a command-line export run with `--include-restricted`: the site's
    operator, who holds the whole database anyway."""


OPERATOR = Operator()

Reader: TypeAlias = "AbstractBaseUser | AnonymousUser | Operator | None"


def can_see_restricted(reader: Reader) -> bool:
    """Whether `reader` (a user, `OPERATOR`, or None for the public) may read restricted and
    paraphrase-only evidence verbatim. Superusers may; an anonymous visitor never (no query)."""
    if reader is OPERATOR:
        return True
    if reader is None or not getattr(reader, "is_active", False):
        return False
    return reader.has_perm(PERMISSION)


def cached_for_public_readers(request, build, variant: str = ""):
    """`cached_response()` for a response that shows evidence. The cached responses are the
    same for every visitor, so a reader who may see restricted evidence gets one built for
    them alone: never read from the shared cache, and never stored in it."""
    if can_see_restricted(request.user):
        return build()
    return cached_response(request, build, variant=variant)


def cache_for_public_readers(view):
    """Decorate a page that shows evidence: its responses come from `cached_for_public_readers()`."""

    @functools.wraps(view)
    def page(request, *args, **kwargs):
        return cached_for_public_readers(request, lambda: view(request, *args, **kwargs))

    return page

"""Template context every page gets."""

from django.utils.functional import SimpleLazyObject

from networks.research.citations import page_citation


def citation(request) -> dict:
    """`citation`: how to cite this page (networks.research.citations.page_citation). Lazy, so the
    queries it needs run only where a template shows it (templates/_cite.html), not in the admin."""
    return {"citation": SimpleLazyObject(lambda: page_citation(request))}

"""'Cite this view': how to cite what a page, a download or an API response shows.

A citation names Citynet, the view's permalink (its full URL with the query string, minus
the parameters that only pick a page or a file format), the date it was accessed, the
data release it reflects (the latest Release, or "unreleased working data" before the
first) and the original sources of the data shown: the study for codings and evidence,
GeoNames (CC BY 4.0) for place data, and for membership lists the sources named on each
row. It comes as plain-text APA and as BibTeX; `networks.research.releases` words the reference to
the release itself, so a page cites a release exactly as the bundle's README does.

A release made a moment ago is cited on the next request: which release is newest is kept per
data version (citynet.versioned), which making a release moves on.
"""

import datetime
from urllib.parse import parse_qsl
from urllib.parse import quote
from urllib.parse import urlencode
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

from django.utils import timezone

from cities.geonames import GEONAMES_ATTRIBUTION
from citynet.versioned import PerDataVersion
from networks.models import Release
from networks.models import Source
from networks.research.releases import AUTHOR
from networks.research.releases import TITLE
from networks.research.releases import citation_apa
from networks.research.releases import citation_bibtex

UNRELEASED = "unreleased working data"
# Parameters that choose a page of a list or a file format, not what the view shows.
NOT_IN_PERMALINK = {"format", "page", "page_size"}
MEMBERSHIP_SOURCES = "Membership lists: sources named per row."
CODINGS, PLACES, MEMBERSHIPS = "codings", "places", "memberships"
# What each HTML page shows, by URL name; pages not listed show all three.
PAGE_DATA = {
    "networks:graph": (PLACES, MEMBERSHIPS),
    "networks:map": (PLACES, MEMBERSHIPS),
    "cities:city_list": (PLACES, MEMBERSHIPS),
    "networks:compare": (CODINGS, PLACES),
    "networks:compare_cities": (CODINGS, PLACES),
    "networks:logics": (CODINGS, PLACES),
    "networks:quotes": (CODINGS, PLACES),
    "networks:agreement": (CODINGS, PLACES),
}
# What stays as it is when a download's first comment line echoes the URL: the characters that
# give a URL its structure, and `%` (escapes stay escapes). Everything else, the comma and the
# semicolon (cell separators to spreadsheets), quotes, spaces and control characters above all,
# is percent-encoded, which leaves the URL's meaning unchanged and keeps it in one cell.
URL_ECHO_SAFE = ":/?#[]@!$&'()*+=~%"
BIBTEX_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def permalink(url: str) -> str:
    """`url` without `format`, `page` and `page_size` (nor a #fragment); other parameters
    stay in their order."""
    parts = urlsplit(url)
    query = [
        (name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True) if name not in NOT_IN_PERMALINK
    ]
    return urlunsplit(parts._replace(query=urlencode(query), fragment=""))


def _bibtex_text(text: str) -> str:
    """Text safe inside a BibTeX field: LaTeX's special characters escaped."""
    return "".join(BIBTEX_ESCAPES.get(character, character) for character in text)


def _retrieved(day: datetime.date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def cite_view(
    *,
    url: str,
    release: tuple[str, datetime.date] | None,
    accessed: datetime.date,
    sources: list[str],
) -> dict:
    """The citation of one view. `release` is (label, release date) or None for unreleased
    data; `sources` are lines naming the original sources.

    Returns {"permalink", "accessed" (ISO date), "release" (label, or "unreleased working
    data"), "sources": [lines], "apa" (plain text: the reference, then a line naming the
    original sources), "bibtex" (a @misc entry)}.
    """
    link = permalink(url)
    if release is not None:
        label, released = release
        reference = citation_apa(label, released).replace("*", "")  # plain text: no Markdown emphasis
        entry = citation_bibtex(label, released).splitlines()[:-1]
    else:
        label = UNRELEASED
        reference = f"{AUTHOR}. ({accessed.year}). {TITLE} ({UNRELEASED}) [Data set]."
        entry = [
            f"@misc{{citynet_unreleased_{accessed:%Y_%m_%d},",
            f"  author = {{{{{AUTHOR}}}}},",
            f"  title = {{{{{TITLE}}}}},",
            f"  year = {{{accessed.year}}},",
            f"  version = {{{UNRELEASED}}},",
            f"  note = {{Data set, {UNRELEASED} (not a frozen release)}},",
        ]
    apa = f"{reference} Retrieved {_retrieved(accessed)}, from {link}"
    if sources:
        apa += "\nOriginal sources: " + " ".join(sources)
    entry += [f"  howpublished = {{\\url{{{link}}}}},", f"  urldate = {{{accessed.isoformat()}}},"]
    if sources:
        entry.append(f"  addendum = {{Original sources: {_bibtex_text(' '.join(sources))}}},")
    return {
        "permalink": link,
        "accessed": accessed.isoformat(),
        "release": label,
        "sources": sources,
        "apa": apa,
        "bibtex": "\n".join([*entry, "}"]),
    }


NEWEST_RELEASE = PerDataVersion(limit=1)
STUDIES = PerDataVersion(limit=1)


def newest_release(request=None) -> tuple[str, datetime.date] | None:
    """The newest release's label and date (one query, none while the data version of
    `request` is unchanged since it was last asked)."""

    def read():
        newest = Release.objects.newest()
        return (newest.label, newest.released) if newest else None

    return NEWEST_RELEASE.get(request, "newest", read)


def citation_for(url: str, sources: list[str], request=None) -> dict:
    """`cite_view` of `url` today, citing the newest release (`newest_release`)."""
    return cite_view(url=url, release=newest_release(request), accessed=timezone.localdate(), sources=sources)


def comment_lines(citation: dict) -> list[str]:
    """The citation as the `# ` comment lines of a CSV download (one line each)."""
    return [f"Cite as: {citation['apa']}", f"Cite as (BibTeX): {citation['bibtex']}"]


def page_sources(view_name: str | None, request=None) -> list[str]:
    """The original sources of what the HTML page `view_name` shows (see PAGE_DATA); a
    page showing codings reads the studies' citations (one query, none while the data version
    of `request` is unchanged)."""
    shown = PAGE_DATA.get(view_name or "", (CODINGS, PLACES, MEMBERSHIPS))
    sources = list(STUDIES.get(request, "studies", Source.objects.study_citations)) if CODINGS in shown else []
    if PLACES in shown:
        sources.append(GEONAMES_ATTRIBUTION)
    if MEMBERSHIPS in shown:
        sources.append(MEMBERSHIP_SOURCES)
    return sources


def page_citation(request) -> dict:
    """The citation of the HTML page answering `request`."""
    match = getattr(request, "resolver_match", None)
    sources = page_sources(match.view_name if match else None, request)
    return citation_for(request.build_absolute_uri(), sources, request)


def release_entry(release: Release, url: str) -> dict:
    """A release as the releases page lists it: {"release", "url" (its download), "apa"
    (plain text), "bibtex"}, cited as the bundle's README cites it."""
    return {
        "release": release,
        "url": url,
        "apa": citation_apa(release.label, release.released, url).replace("*", ""),
        "bibtex": citation_bibtex(release.label, release.released, url),
    }


def echo_url(url: str) -> str:
    """`url` as a download's first comment line names it: the same address, with every
    character that could break it out of its spreadsheet cell percent-encoded (URL_ECHO_SAFE),
    so that `?search=,=1+1,` reads `?search=%2C=1+1%2C`, not as a cell `=1+1`."""
    return quote(url, safe=URL_ECHO_SAFE)


def attribution_lines(what: str, url: str, attribution: list[str]) -> list[str]:
    """The comment block of a download: what it is, its URL (percent-encoded: `echo_url`) and
    retrieval time, its sources, and how to cite it ("Cite as:" lines naming the newest release:
    one query). `citynet.downloads.csv_lines` writes each as one `# ` line, safe in spreadsheets."""
    retrieved = timezone.now().replace(microsecond=0).isoformat()
    citation = comment_lines(citation_for(url, attribution))
    return [f"Citynet API v1: {what}. {echo_url(url)} (retrieved {retrieved})", *attribution, *citation]

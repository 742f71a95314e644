"""Site search: places, networks, sub-networks, codes and codings (with their evidence), found
by their names and by the field's common wordings, exact name matches first, the matched words
highlighted, and counted by kind.

A read shared in the selectors' style: `site_search()` takes the text and the reader and returns
plain results for the search page. What matches:

- a place, network, sub-network or code by its name (a network also by its acronym and common
  names such as "C40" or "100RC"; a code also by its slug and the wordings in `CODE_WORDINGS`, and
  by its definition);
- a coding when its code matches by name or wording ("knowledge sharing" finds every coding of
  Knowledge sharing), when its place matches, or when evidence the reader may read mentions every
  word of the query (`Evidence.objects.for_reader()`: restricted text is never searched).
- an interview's evidence when the query names it as pages do ("Interview 2, 2018").

On PostgreSQL, evidence is also matched by full-text search (stemmed English, ranked with
SearchRank) and names by trigram similarity, so misspellings still find ("Copenhagn"); that needs
the pg_trgm extension (migration 0008), and trigram indexes on place names keep it from reading
every place (migration 0009). Elsewhere (SQLite) the same fields are matched word by
word, with crude stemming, and place names with accents folded (`cities.names.plain`): the
results have the same shape on both.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from dataclasses import field
from urllib.parse import urlencode

from django.contrib.postgres.lookups import TrigramSimilar
from django.contrib.postgres.search import SearchQuery
from django.contrib.postgres.search import SearchRank
from django.contrib.postgres.search import SearchVector
from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection
from django.db import models
from django.db.models import Case
from django.db.models import Count
from django.db.models import Exists
from django.db.models import F
from django.db.models import Func
from django.db.models import OuterRef
from django.db.models import Prefetch
from django.db.models import Q
from django.db.models import QuerySet
from django.db.models import Subquery
from django.db.models import Value
from django.db.models import When
from django.db.models import Window
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.safestring import mark_safe

from cities.models import City
from cities.names import UNFOLDED_LETTERS
from cities.names import fold
from cities.names import plain
from networks.models import Code
from networks.models import Coding
from networks.models import Evidence
from networks.models import Network
from networks.models import Source
from networks.models import SubNetwork
from networks.search_wordings import CODE_WORDINGS
from networks.search_wordings import NETWORK_WORDINGS
from networks.visibility import Reader

KINDS = ["places", "networks", "subnetworks", "codes", "codings"]
KIND_NAMES = {
    "places": ("place", "places"),
    "networks": ("network", "networks"),
    "subnetworks": ("sub-network", "sub-networks"),
    "codes": ("code", "codes"),
    "codings": ("coding", "codings"),
}
# Hits shown per kind; with `kind=` one kind alone, up to SHOWN_ALONE.
SHOWN = 20
SHOWN_ALONE = 100

STOP_WORDS = {"a", "an", "and", "as", "at", "by", "for", "from", "in", "is", "of", "on", "or", "the", "to", "with"}
SUFFIXES = ("ing", "ed", "es", "s")


def stem(word: str) -> str:
    """A word cut to what its forms share ('lobbying' -> 'lobby'), for a contains-match: shorter
    only, so it finds at least what the word finds."""
    lower = word.casefold()
    for suffix in SUFFIXES:
        if lower.endswith(suffix) and len(lower) - len(suffix) >= 4:
            return lower[: -len(suffix)]
    return lower


@dataclass(frozen=True)
class Query:
    """The search text taken apart: `terms` every match needs (stop words left out), `stems`
    for contains-matches and highlighting, and the codes and networks its wordings name."""

    text: str
    key: str
    terms: tuple[str, ...]
    stems: tuple[str, ...]
    codes: dict[str, str] = field(default_factory=dict)
    networks: dict[str, str] = field(default_factory=dict)


def parse(text: str) -> Query:
    """`text` as a Query; `codes` maps a code slug to the wording that named it."""
    words = list(dict.fromkeys(re.findall(r"\w+", text.casefold())))
    terms = [word for word in words if word not in STOP_WORDS and (len(word) > 1 or word.isdigit())]
    terms = terms or words or [text.casefold()]
    key = plain(text)
    padded = f" {key} "
    codes = {}
    for code, wordings in CODE_WORDINGS.items():
        named = next((wording for wording in sorted(wordings, key=len, reverse=True) if f" {wording} " in padded), None)
        if named:
            codes[code] = named
    networks = {wording: name for wording, name in NETWORK_WORDINGS.items() if f" {wording} " in padded}
    return Query(text, key, tuple(terms), tuple(dict.fromkeys(stem(t) for t in terms)), codes, networks)


# Highlighting.


def _folded(text: str) -> tuple[str, list[int]]:
    """`text` folded char by char (lower case, accents dropped, ø as o), and for each folded
    char the index of the char of `text` it came from."""
    out, where = [], []
    for index, char in enumerate(text):
        decomposed = unicodedata.normalize("NFKD", char.casefold().translate(UNFOLDED_LETTERS))
        for part in decomposed:
            if not unicodedata.combining(part):
                out.append(part)
                where.append(index)
    return "".join(out), where


def highlight(text: str, words: tuple[str, ...] | list[str]) -> SafeString:
    """`text` escaped, each word starting with one of `words` (folded: 'kobenhavn' marks
    'København') wrapped in <mark>. Evidence is user data: every piece
    of it is escaped, and only the marks are markup."""
    text = text or ""
    folded, where = _folded(text)
    spans = []
    for word in words:
        target = _folded(word)[0]
        if not target:
            continue
        for match in re.finditer(r"(?<!\w)" + re.escape(target) + r"\w*", folded):
            spans.append((where[match.start()], where[match.end() - 1] + 1))
    pieces, shown = [], 0
    for start, end in sorted(spans):
        if end <= shown:
            continue
        start = max(start, shown)
        pieces.append(f"{escape(text[shown:start])}<mark>{escape(text[start:end])}</mark>")
        shown = end
    pieces.append(escape(text[shown:]))
    return mark_safe("".join(pieces))


# Matching, per database.


def _on_postgresql() -> bool:
    return connection.vendor == "postgresql"


def _words(query: Query, *fields: str) -> Q:
    """Every stem of the query in one of `fields` (contains, ignoring case)."""
    condition = Q()
    for word in query.stems:
        any_field = Q()
        for name in fields:
            any_field |= Q(**{f"{name}__icontains": word})
        condition &= any_field
    return condition


def _similar(queryset: QuerySet, name: str, query: Query) -> tuple[QuerySet, Q, models.Expression]:
    """`queryset` with its `name` field's trigram similarity to the query (PostgreSQL; 0
    elsewhere) as `similarity`, the condition of a misspelling, and the expression to rank by.
    The condition is pg_trgm's `%` operator, which a trigram index on the name answers (migration
    0009), where `similarity >= x` reads every row: a name counts as a misspelling from pg_trgm's
    `similarity_threshold` on, 0.3 unless the database sets another."""
    if not _on_postgresql():
        return queryset, Q(pk__in=[]), Value(0.0)
    queryset = queryset.alias(similarity=TrigramSimilarity(name, query.text))
    return queryset, Q(TrigramSimilar(F(name), Value(query.text))), F("similarity")


class PlainName(Func):
    """A place name in `cities.names.plain` form, computed by SQLite with that Python function
    (registered on the connection by `_sqlite_plain()`)."""

    function = "citynet_plain"
    output_field = models.CharField()


def _sqlite_plain() -> None:
    # SQLite has no accent folding of its own; the same Python function the register uses does it.
    connection.ensure_connection()
    connection.connection.create_function("citynet_plain", 1, plain, deterministic=True)


def _places(query: Query) -> tuple[QuerySet, Q, models.Expression]:
    """Places matching the query (by name: contains, folded, or similar), the condition of an
    exact name match, and the similarity to rank by (0 on SQLite)."""
    places, similar, rank = _similar(City.objects.all(), "name", query)
    if _on_postgresql():
        return places.filter(Q(name__icontains=query.text) | similar), Q(name__iexact=query.text), rank
    _sqlite_plain()
    key = fold(query.text)
    places = places.alias(plain_name=PlainName("name"))
    matching = Q(name__icontains=query.text) | (Q(plain_name__contains=key) if key else Q())
    return places.filter(matching), Q(name__iexact=query.text) | Q(plain_name=key or query.key), rank


def _codes_named(query: Query) -> Q:
    """Codes the query names: by name or slug, or by one of the field's wordings for them."""
    named = Q(name__icontains=query.text) | Q(code__iexact=query.text) | _words(query, "name", "code")
    return named | Q(code__in=list(query.codes))


# The name pages give an interview (models.sources.source_label): "Interview 2, 2018", "interview no. 2".
INTERVIEW_NAME = re.compile(r"\s*interview\s*(?:no\.?|nr\.?|#)?\s*(\d{1,4})(?:\s*,?\s*(\d{4}))?\s*", re.IGNORECASE)


def _interview_named(query: Query) -> Q | None:
    """The evidence of the interview the query names as pages name it, or None: a word-by-word
    match would find every interview of 2018 for "Interview 2" (the "2" of "2018"), and not the
    one the study cites as "Informant 2". A source labelled so without a number counts too
    ("Interview 7, 2017": 7, not 17 or 70)."""
    if not (match := INTERVIEW_NAME.fullmatch(query.text)):
        return None
    number, year = int(match[1]), match[2]
    by_number = Q(kind=Source.Kind.INTERVIEW, interview_number=number) & (Q(year=int(year)) if year else Q())
    by_label = Q(label__iregex=rf"interview\s*(no\.?|nr\.?|#)?\s*0*{number}([^0-9]|$)")
    sources = Source.objects.filter(by_number | (by_label & (Q(label__contains=year) if year else Q())))
    return Q(source_id__in=list(sources.values_list("pk", flat=True)))


def _evidence(query: Query, reader: Reader) -> tuple[QuerySet, Q, models.Expression | None]:
    """Evidence as `reader` may see it (shown values only), the condition of its matching the
    query, and (PostgreSQL) its full-text rank. A query naming an interview ("Interview 2")
    matches that interview's evidence."""
    evidence = Evidence.objects.for_reader(reader)
    interview = _interview_named(query)
    if interview is not None:
        return evidence, interview, None
    words = _words(query, "shown_text", "shown_original_text", "source__label")
    if not _on_postgresql():
        return evidence, words, None
    document = SearchVector("shown_text", config="english", weight="A") + SearchVector(
        "shown_original_text", "source__label", config="simple", weight="B"
    )
    search = SearchQuery(query.text, config="english", search_type="websearch")
    evidence = evidence.alias(document=document, stored_document=STORED_DOCUMENT)
    matches = _stored_candidates(query, search) & (Q(document=search) | words)
    return evidence, matches, SearchRank(F("document"), search)


# Every text an evidence item stores, as one document: what `_stored_candidates` reads, and what
# migration 0009 indexes (the same expression, so PostgreSQL can answer it from the index).
STORED_DOCUMENT = (
    SearchVector("text", config="english")
    + SearchVector("public_paraphrase", config="english")
    + SearchVector("original_text", config="simple")
)
# websearch syntax for leaving a word out ("lobby -brussels").
NEGATION = re.compile(r"(?:^|\s)-\w")


def _stored_candidates(query: Query, search: SearchQuery) -> Q:
    """A condition on what evidence stores, met by every item the search can match, that the
    indexes of migration 0009 answer, so the shown values (computed per row, as the reader may
    see them) are only computed for a few candidates rather than for 500,000 items.

    What a reader is shown of an item is one of its stored texts (or nothing), so an item whose
    shown text matches has a stored text that does: its stored document matches the full-text
    query, or each word is in a stored text, or a word is in its source's label (the shown
    document holds the label too; such items stay candidates). A query leaving a word out can
    match a shown text whose stored texts hold that word: it reads every item."""
    if NEGATION.search(query.text):
        return Q()
    stored_words = Q()
    for word in query.stems:
        stored_words &= (
            Q(text__icontains=word) | Q(public_paraphrase__icontains=word) | Q(original_text__icontains=word)
        )
    any_word = " or ".join(query.terms)
    labels = Source.objects.annotate(label_document=SearchVector("label", config="simple"))
    named = labels.filter(
        Q(label_document=SearchQuery(any_word, config="english", search_type="websearch")) | _any_word(query, "label")
    )
    # The sources' ids as values (one small query): a subquery's rows are unknown to the
    # planner, which then expects every item to match and reads them all, not the indexes.
    of_named_sources = Q(source_id__in=list(named.values_list("pk", flat=True)))
    return Q(stored_document=search) | stored_words | of_named_sources


def _any_word(query: Query, name: str) -> Q:
    """One stem of the query or another in field `name` (contains, ignoring case)."""
    condition = Q(pk__in=[])
    for word in query.stems:
        condition |= Q(**{f"{name}__icontains": word})
    return condition


def _flag(condition) -> Case:
    """1 where `condition` holds, else 0: a sort key."""
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=models.IntegerField())


# What the page shows.


@dataclass
class Hit:
    """One result: `title` (highlighted), where it leads, whether it is an exact name match,
    a `note` on why it matched, facts to show beside it, and for a coding its evidence."""

    kind: str
    object: object
    title: SafeString
    url: str
    exact: bool = False
    note: str = ""
    facts: str = ""
    text: SafeString | None = None
    evidence: list[dict] = field(default_factory=list)


@dataclass
class Group:
    """The hits of one kind: the first `SHOWN` (or `SHOWN_ALONE`), how many there are in all,
    and links to the lists that hold the rest."""

    kind: str
    hits: list[Hit]
    total: int
    more: list[tuple[str, str]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return KIND_NAMES[self.kind][1].capitalize()

    @property
    def count_label(self) -> str:
        singular, plural = KIND_NAMES[self.kind]
        return f"{self.total} {singular if self.total == 1 else plural}"

    @property
    def exact(self) -> bool:
        return bool(self.hits) and self.hits[0].exact

    @property
    def n_evidence(self) -> int:
        return sum(len(hit.evidence) for hit in self.hits)


@dataclass
class Results:
    """`groups` in the order the page shows them (kinds with an exact name match first), every
    kind counted (the facets), and `kind` when the reader chose one kind alone."""

    query: Query
    groups: list[Group]
    kind: str = ""

    @property
    def shown(self) -> list[Group]:
        return [group for group in self.groups if group.hits and self.kind in ("", group.kind)]

    @property
    def total(self) -> int:
        return sum(group.total for group in self.groups)

    def objects(self, kind: str) -> list:
        """The model objects of one kind's hits (places are `City`s)."""
        return next([hit.object for hit in group.hits] for group in self.groups if group.kind == kind)


def search_url(text: str, **parameters: str) -> str:
    return f"{reverse('networks:search')}?{urlencode({'q': text, **parameters})}"


def _counted(queryset: QuerySet, limit: int) -> tuple[list, int]:
    """The first `limit` rows and how many there are in all, in one query (a window count)."""
    rows = list(queryset.annotate(n_found=Window(Count("pk")))[:limit])
    return rows, rows[0].n_found if rows else 0


def _place_hits(query: Query, limit: int) -> Group:
    places, exact, rank = _places(query)
    places = places.annotate(is_exact=_flag(exact), starts=_flag(Q(name__istartswith=query.text)), rank=rank).order_by(
        "-is_exact", "-starts", "-rank", F("population").desc(nulls_last=True), "name", "pk"
    )
    rows, total = _counted(places, limit)
    hits = [
        Hit(
            "places",
            city,
            highlight(city.name, query.stems),
            city.get_absolute_url(),
            exact=bool(city.is_exact),
            facts=f"{city.country_name} · {city.get_kind_display()}",
        )
        for city in rows
    ]
    more = [(f"All places matching “{query.text}”", f"{reverse('cities:city_list')}?{urlencode({'q': query.text})}")]
    return Group("places", hits, total, more if total > len(hits) else [])


def _network_hits(query: Query, limit: int) -> Group:
    networks, similar, rank = _similar(Network.objects.for_list(), "name", query)
    named = Q()
    for name in query.networks.values():
        named |= Q(name__icontains=name) | Q(acronym__iexact=name)
    matching = Q(name__icontains=query.text) | Q(acronym__icontains=query.text) | _words(query, "name", "acronym")
    exact = Q(name__iexact=query.text) | Q(acronym__iexact=query.text)
    if query.key in query.networks:
        exact |= named
    networks = (
        networks.filter(matching | similar | named)
        .annotate(is_exact=_flag(exact), rank=rank)
        .order_by("-is_exact", "-rank", "name")
    )
    rows, total = _counted(networks, limit)
    hits = []
    for network in rows:
        title = highlight(network.name, [*query.stems, *query.networks.values()])
        if network.acronym:
            title = mark_safe(f"{title} ({highlight(network.acronym, query.stems)})")
        facts = f"{network.n_members} member places · {network.n_codings} codings"
        hits.append(Hit("networks", network, title, network.get_absolute_url(), bool(network.is_exact), facts=facts))
    more = [("All networks", reverse("networks:network_list"))]
    return Group("networks", hits, total, more if total > len(hits) else [])


def _subnetwork_hits(query: Query, limit: int) -> Group:
    subnetworks, similar, rank = _similar(SubNetwork.objects.select_related("network"), "name", query)
    matching = Q(name__icontains=query.text) | _words(query, "name") | _words(query, "description")
    subnetworks = (
        subnetworks.filter(matching | similar)
        .annotate(is_exact=_flag(Q(name__iexact=query.text)), rank=rank)
        .order_by("-is_exact", "-rank", "network__name", "name")
    )
    rows, total = _counted(subnetworks, limit)
    hits = [
        Hit(
            "subnetworks",
            sub,
            highlight(sub.name, query.stems),
            f"{sub.network.get_absolute_url()}#subnetwork-{sub.slug}",
            exact=bool(sub.is_exact),
            facts=f"{sub.get_kind_display()} of {sub.network}",
            text=highlight(sub.description, query.stems) if sub.description else None,
        )
        for sub in rows
    ]
    more = [("Only sub-networks, up to 100", search_url(query.text, kind="subnetworks"))]
    return Group("subnetworks", hits, total, more if total > len(hits) else [])


def _code_hits(query: Query, limit: int) -> Group:
    codes, similar, rank = _similar(Code.objects.select_related("version"), "name", query)
    named = _codes_named(query)
    defined = _words(query, "definition", "when_to_use", "example")
    exact = Q(name__iexact=query.text) | Q(code__iexact=query.text) | Q(code__in=list(query.codes))
    codes = (
        codes.filter(named | similar | defined)
        .annotate(is_exact=_flag(exact), is_named=_flag(named | similar), rank=rank)
        .order_by("-is_exact", "-is_named", "-rank", "-version__is_current", "kind", "position", "pk")
    )
    rows, total = _counted(codes, limit)
    hits = []
    for code in rows:
        wording = query.codes.get(code.code)
        note = f"“{wording}” is a common wording for this code." if wording else ""
        # Its definition, unless only another of its texts holds the words: then that text.
        texts = [highlight(text, query.stems) for text in (code.definition, code.when_to_use, code.example) if text]
        text = next((text for text in texts if "<mark>" in text), texts[0] if texts else None)
        if not code.is_named:
            note = "Its definition or example uses these words."
        version = "" if code.version.is_current else f" · codebook {code.version.label}"
        hits.append(
            Hit(
                "codes",
                code,
                highlight(code.name, query.stems),
                f"{reverse('networks:home')}#code-{code.code}",
                exact=bool(code.is_exact) and code.version.is_current,
                note=note,
                facts=f"{code.get_kind_display()}{version}",
                text=text,
            )
        )
    return Group("codes", hits, total)


def _coding_hits(query: Query, reader: Reader, limit: int) -> Group:
    places, exact_place, _ = _places(query)
    codes, similar, _ = _similar(Code.objects.all(), "name", query)
    codes = codes.filter(_codes_named(query) | similar)
    code_exact = Q(code__name__iexact=query.text) | Q(code__code__in=list(query.codes))
    evidence, text_matches, evidence_rank = _evidence(query, reader)
    matching = evidence.filter(text_matches)
    by_place, by_code = Q(city__in=places.values("pk")), Q(code__in=codes.values("pk"))
    by_text = Exists(matching.filter(coding=OuterRef("pk")))
    if evidence_rank is None:
        text_rank = _flag(by_text)
    else:
        ranks = matching.filter(coding=OuterRef("pk")).annotate(rank=evidence_rank).order_by("-rank").values("rank")
        text_rank = Coalesce(Subquery(ranks[:1]), Value(0.0), output_field=models.FloatField())
    # Each coding shows the evidence that matched, or all of it when its code or place did.
    of_named = Q(coding__city__in=places.values("pk")) | Q(coding__code__in=codes.values("pk"))
    shown = evidence.filter(text_matches | of_named).select_related("source").order_by("position", "pk")
    codings = (
        Coding.objects.filter(by_place | by_code | by_text)
        .select_related("city", "network", "code", "coder")
        .prefetch_related(Prefetch("evidence", queryset=shown))
        .annotate(
            place_exact=_flag(Q(city__in=places.filter(exact_place).values("pk"))),
            code_exact=_flag(code_exact),
            code_hit=_flag(by_code),
            place_hit=_flag(by_place),
            text_rank=text_rank,
        )
        # A place or code named exactly, then named at all, then how well the evidence matches.
        .order_by(
            "-place_exact",
            "-code_exact",
            "-code_hit",
            "-place_hit",
            "-text_rank",
            "network__name",
            F("city__name").asc(nulls_first=True),
            "code__kind",
            "code__position",
            "pk",
        )
    )
    rows, total = _counted(codings, limit)
    hits = []
    for coding in rows:
        place = coding.city.name if coding.city_id else "The network as a whole"
        evidence = [_evidence_item(item, query) for item in coding.evidence.all()]
        title, exact = highlight(place, query.stems), bool(coding.place_exact or coding.code_exact)
        hits.append(Hit("codings", coding, title, _coding_url(coding), exact, evidence=evidence))
    return Group("codings", hits, total, _coding_more(query, rows, total, limit))


def _coding_url(coding: Coding) -> str:
    if coding.city_id:
        return f"{reverse('networks:compare')}?{urlencode({'network': coding.network.slug, 'city': coding.city.slug})}"
    return f"{coding.network.get_absolute_url()}#codings"


def _evidence_item(item: Evidence, query: Query) -> dict:
    """What `_evidence_item.html` shows of an item, its shown text and original highlighted."""
    return {
        "kind": item.shown_kind,
        "text": highlight(item.shown_text, query.stems) if item.shown_text else "",
        "original": highlight(item.shown_original_text, query.stems) if item.shown_original_text else "",
        "visibility": item.visibility,
        "language": item.language,
        "source": item.source,
        "locator": item.shown_locator,
    }


def _coding_more(query: Query, rows: list[Coding], total: int, limit: int) -> list[tuple[str, str]]:
    """Where the codings not shown are: the quote table for a code or place the query named,
    and this search with codings alone."""
    if total <= len(rows):
        return []
    quotes = reverse("networks:quotes")
    more = []
    for coding in rows:
        if coding.code_exact:
            link = (f"Every quote on {coding.code.name}", f"{quotes}?{urlencode({'code': coding.code.code})}")
        elif coding.place_exact:
            link = (f"Every quote about {coding.city.name}", f"{quotes}?{urlencode({'city': coding.city.slug})}")
        else:
            continue
        if link not in more:
            more.append(link)
    if limit < SHOWN_ALONE:
        more.append(("Only codings, up to 100", search_url(query.text, kind="codings")))
    return more


def site_search(text: str, reader: Reader = None, kind: str = "") -> Results:
    """Everything `text` finds, as `reader` may see it: a Group per kind (`KINDS`), each with
    up to SHOWN hits (SHOWN_ALONE for `kind`, when it names one) and its total. Six queries:
    one per kind (rows and count together) and the codings' evidence."""
    query = parse(text)
    kind = kind if kind in KINDS else ""

    def limit(name: str) -> int:
        return SHOWN_ALONE if kind == name else SHOWN

    groups = [
        _place_hits(query, limit("places")),
        _network_hits(query, limit("networks")),
        _subnetwork_hits(query, limit("subnetworks")),
        _code_hits(query, limit("codes")),
        _coding_hits(query, reader, limit("codings")),
    ]
    groups.sort(key=lambda group: not group.exact)
    return Results(query, groups, kind)

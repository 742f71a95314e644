"""The JSON rows of the busiest lists (membership spells, codings, evidence, places) built from
plain values, and their pages encoded by orjson: what the resources' serializers give, field
for field and in their order, at a fraction of the cost.

An uncached page of 50 codings built 400 model instances and went through DRF's fields and
encoder: most of its time, ten times its SQL (issue 14, "Speed without the cache"). Here a page
reads its rows as value tuples (`values_list`, no model instance, no Django converter for
timestamps: they come as the database's UTC text, `iso_utc`) and turns each into the dict the
serializer's `to_representation()` makes. The serializers stay the source of truth: they serve
writes, details and CSV, and tests (tests/networks/api/test_fast_lists.py) render every row of
the study data and of generated data through both, anonymously and as an editor, and compare.
Evidence goes through `Evidence.objects.for_reader()`, so a reader sees exactly the masked
values the serializers show: the verbatim columns of restricted evidence are not even fetched.

A change to a serializer's fields must be made here too; the comparison tests fail until it is."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from collections.abc import Iterable
from typing import Any

import orjson
from django.conf import settings
from django.db import models
from django.db.models import QuerySet
from django.db.models.functions import Cast
from rest_framework.renderers import JSONRenderer

from cities.countries import country_name
from networks.dates import spell_period
from networks.models import Coding
from networks.models import Evidence
from networks.models import Membership
from networks.models.memberships import iso_utc
from networks.models.sources import source_label
from networks.salience import SALIENCE_LABELS
from networks.salience import UNRATED_LABEL
from networks.selectors import cities_for_list
from networks.visibility import OPERATOR
from networks.visibility import Reader
from networks.visibility import can_see_restricted

# (id list, reader) -> the page's rows as the resource's serializer represents them, in id order.
RowsBuilder = Callable[[list[int], Reader], list[dict]]

# The source's values from which `source_label` names it, then its citation and address.
SOURCE_COLUMNS = ("source__kind", "source__label", "source__citation", "source__interview_number", "source__year")


# --- The lists' querysets, built once ---------------------------------------------------------


@functools.cache
def built_once(build: Callable[..., QuerySet], *args) -> QuerySet:
    return build(*args)


def shared(build: Callable[[], QuerySet]) -> QuerySet:
    """`build()`, a list's queryset, built once and cloned for each request, as DRF clones a
    view's `queryset` (never evaluated itself): building its annotations and prefetches cost
    as much as running the page's count, and a fast page does not even use them."""
    return built_once(build).all()


def for_reader(build: Callable[[Reader], QuerySet], reader: Reader) -> QuerySet:
    """`build(reader)`, as `shared()`: for a queryset that depends on the reader only through
    whether they may see restricted evidence (`Evidence.objects.for_reader()`)."""
    return built_once(build, OPERATOR if can_see_restricted(reader) else None).all()


def available() -> bool:
    """Whether the fast rows equal the serializers': DRF writes times in the current time zone,
    and the database's text is UTC (`iso_utc`)."""
    return settings.USE_TZ and settings.TIME_ZONE == "UTC"


def utc_text(field: str) -> Cast:
    """A timestamp as the database's text, which `iso_utc` turns into DRF's form."""
    return Cast(field, output_field=models.CharField())


def in_order(ids: list[int], rows: Iterable[tuple]) -> list[tuple]:
    """`rows` (each starting with its id) in the order of `ids`; ids without a row are left out."""
    by_id = {row[0]: row for row in rows}
    return [by_id[pk] for pk in ids if pk in by_id]


def iso_date(value) -> str | None:
    """A date as DRF's DateField writes it."""
    return value.isoformat() if value else None


@functools.cache
def cached_country_name(code: str) -> str:
    return country_name(code)


@functools.cache
def membership_values() -> QuerySet:
    return Membership.objects.values_list(
        "id",
        "city__slug",
        "city__name",
        "city__country",
        "city__kind",
        "network__slug",
        "network__name",
        "type",
        "joined",
        "joined_precision",
        "left",
        "left_precision",
        "application_round",
        "took_effect",
        "listed_on",
        "source_id",
        *SOURCE_COLUMNS,
        "source__url",
        "note",
        utc_text("created_at"),
        utc_text("updated_at"),
    )


def membership_rows(ids: list[int], reader: Reader = None) -> list[dict]:
    """`MembershipSerializer` of the spells `ids`, in that order (one query)."""
    rows = membership_values().filter(pk__in=ids)
    return [
        {
            "id": pk,
            "city": city,
            "city_name": city_name,
            "country": country,
            "city_kind": city_kind,
            "network": network,
            "network_name": network_name,
            "type": kind,
            "joined": iso_date(joined),
            "joined_precision": joined_precision,
            "left": iso_date(left),
            "left_precision": left_precision,
            "period": spell_period(joined, joined_precision, left, left_precision, took_effect),
            "application_round": application_round,
            "took_effect": took_effect,
            "listed_on": iso_date(listed_on),
            "source": source,
            "source_label": source_label(source_kind, label, citation, number, year),
            "source_citation": citation,
            "source_url": url,
            "note": note,
            "created_at": iso_utc(created_at),
            "updated_at": iso_utc(updated_at),
        }
        for (
            pk,
            city,
            city_name,
            country,
            city_kind,
            network,
            network_name,
            kind,
            joined,
            joined_precision,
            left,
            left_precision,
            application_round,
            took_effect,
            listed_on,
            source,
            source_kind,
            label,
            citation,
            number,
            year,
            url,
            note,
            created_at,
            updated_at,
        ) in in_order(ids, rows)
    ]


@functools.cache
def city_values() -> QuerySet:
    return cities_for_list().values_list(
        "id",
        "slug",
        "name",
        "country",
        "kind",
        "latitude",
        "longitude",
        "coordinates_note",
        "population",
        "population_source",
        "geonames_id",
        "geonames_name",
        "geonames_note",
        "wikidata_id",
        "n_memberships",
        utc_text("created_at"),
        utc_text("updated_at"),
    )


def city_rows(ids: list[int], reader: Reader = None) -> list[dict]:
    """`CitySerializer` of the places `ids` with their `n_memberships`, in that order (one query)."""
    rows = city_values().filter(pk__in=ids).order_by()
    return [
        {
            "slug": slug,
            "name": name,
            "country": country,
            "country_name": cached_country_name(country),
            "kind": kind,
            "latitude": latitude,
            "longitude": longitude,
            "coordinates_note": coordinates_note,
            "population": population,
            "population_source": population_source,
            "geonames_id": geonames_id,
            "geonames_name": geonames_name,
            "geonames_note": geonames_note,
            "wikidata_id": wikidata_id,
            "n_memberships": n_memberships,
            "created_at": iso_utc(created_at),
            "updated_at": iso_utc(updated_at),
        }
        for (
            _,
            slug,
            name,
            country,
            kind,
            latitude,
            longitude,
            coordinates_note,
            population,
            population_source,
            geonames_id,
            geonames_name,
            geonames_note,
            wikidata_id,
            n_memberships,
            created_at,
            updated_at,
        ) in in_order(ids, rows)
    ]


# What `EvidenceSerializer` shows of an item as the reader may see it (`for_reader()`), after its coding id.
EVIDENCE_COLUMNS = (
    "coding_id",
    "id",
    "shown_kind",
    "visibility",
    "shown_text",
    "shown_original_text",
    "shown_paraphrase",
    "language",
    "source_id",
    *SOURCE_COLUMNS,
    "shown_locator",
    "position",
)


def evidence_item(row: tuple) -> dict:
    """An `EVIDENCE_COLUMNS` row as `EvidenceSerializer` represents it."""
    (
        _,
        pk,
        kind,
        visibility,
        text,
        original_text,
        paraphrase,
        language,
        source,
        source_kind,
        label,
        citation,
        number,
        year,
        locator,
        position,
    ) = row
    name = source_label(source_kind, label, citation, number, year)
    return {
        "id": pk,
        "kind": kind,
        "visibility": visibility,
        "text": text,
        "original_text": original_text,
        "public_paraphrase": paraphrase,
        "language": language,
        "source": source,
        "source_label": name,
        "locator": locator,
        "citation": f"{name}, {locator}" if locator else name,
        "position": position,
    }


@functools.cache
def coding_values() -> QuerySet:
    return Coding.objects.values_list(
        "id",
        "city__slug",
        "city__name",
        "city__country",
        "network__slug",
        "network__name",
        "code__code",
        "code__name",
        "code__kind",
        "salience",
        "outcome",
        "perspective",
        "coder__name",
        utc_text("coded_at"),
        "note",
        utc_text("updated_at"),
    )


@functools.cache
def evidence_values(verbatim: bool) -> QuerySet:
    """Evidence as `EVIDENCE_COLUMNS`, as a reader who may (`verbatim`) or may not see
    restricted evidence sees it (`for_reader()`, which depends on nothing else of the reader)."""
    reader = OPERATOR if verbatim else None
    return Evidence.objects.for_reader(reader).order_by("position", "pk").values_list(*EVIDENCE_COLUMNS)


def coding_rows(ids: list[int], reader: Reader = None) -> list[dict]:
    """`CodingSerializer` of the codings `ids` with their evidence as `reader` may see it, in
    that order (two queries: the codings, their evidence)."""
    rows = coding_values().filter(pk__in=ids)
    evidence: dict[int, list[dict]] = {pk: [] for pk in ids}
    for row in evidence_values(can_see_restricted(reader)).filter(coding__in=ids):
        evidence[row[0]].append(evidence_item(row))
    return [
        {
            "id": pk,
            "city": city,
            "city_name": city_name,
            "country": country,
            "network": network,
            "network_name": network_name,
            "code": code,
            "code_name": code_name,
            "code_kind": code_kind,
            "salience": salience,
            "salience_label": UNRATED_LABEL if salience is None else SALIENCE_LABELS.get(salience, ""),
            "outcome": outcome,
            "perspective": perspective,
            "coder": coder,
            "coded_at": iso_utc(coded_at),
            "note": note,
            "updated_at": iso_utc(updated_at),
            "evidence": evidence[pk],
        }
        for (
            pk,
            city,
            city_name,
            country,
            network,
            network_name,
            code,
            code_name,
            code_kind,
            salience,
            outcome,
            perspective,
            coder,
            coded_at,
            note,
            updated_at,
        ) in in_order(ids, rows)
    ]


@functools.cache
def quote_values(verbatim: bool) -> QuerySet:
    """Evidence as `quote_rows` reads it, as `evidence_values(verbatim)` masks it."""
    return (
        Evidence.objects.for_reader(OPERATOR if verbatim else None)
        .order_by()
        .values_list(
            "id",
            "coding_id",
            "coding__city__slug",
            "coding__city__name",
            "coding__city__country",
            "coding__network__slug",
            "coding__network__name",
            "coding__code__code",
            "coding__code__name",
            "coding__code__kind",
            "coding__salience",
            "coding__outcome",
            "coding__perspective",
            "coding__coder__name",
            "shown_kind",
            "visibility",
            "shown_text",
            "shown_original_text",
            "language",
            "source_id",
            *SOURCE_COLUMNS,
            "shown_locator",
            "position",
        )
    )


def quote_rows(ids: list[int], reader: Reader = None) -> list[dict]:
    """`QuoteSerializer` of the evidence items `ids` as `reader` may see them, with their
    coding's place, network, code and coder, in that order (one query)."""
    rows = quote_values(can_see_restricted(reader)).filter(pk__in=ids)
    quotes = []
    for (
        pk,
        coding,
        city,
        city_name,
        country,
        network,
        network_name,
        code,
        code_name,
        code_kind,
        salience,
        outcome,
        perspective,
        coder,
        kind,
        visibility,
        text,
        original_text,
        language,
        source,
        source_kind,
        label,
        citation,
        number,
        year,
        locator,
        position,
    ) in in_order(ids, rows):
        name = source_label(source_kind, label, citation, number, year)
        quotes.append(
            {
                "id": pk,
                "coding": coding,
                "city": city,
                "city_name": city_name,
                "country": country,
                "network": network,
                "network_name": network_name,
                "code": code,
                "code_name": code_name,
                "code_kind": code_kind,
                "salience": salience,
                "outcome": outcome,
                "perspective": perspective,
                "coder": coder,
                "kind": kind,
                "visibility": visibility,
                "text": text,
                "original_text": original_text,
                "language": language,
                "source": source,
                "source_label": name,
                "source_citation": citation,
                "locator": locator,
                "citation": f"{name}, {locator}" if locator else name,
                "position": position,
            }
        )
    return quotes


# --- Encoding -----------------------------------------------------------------------------------

# U+2028 and U+2029 in UTF-8, which DRF's JSON escapes (JavaScript reads them as line breaks).
LINE_SEPARATORS = re.compile("[\u2028\u2029]".encode())
ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def render_json(
    data: Any,
    renderer: JSONRenderer,
    accepted_media_type: str | None,
    context: dict,
    drf_render: Callable[..., bytes] | None = None,
) -> bytes:
    """What DRF's JSONRenderer writes for `data` (`drf_render`: by default `renderer.render`,
    where `renderer` is DRF's own), encoded by orjson: compact, UTF-8, U+2028 and U+2029
    escaped as DRF escapes them, and what orjson has no type for (or would write otherwise:
    dates and times) through DRF's encoder. Where the two could differ (an indent asked for,
    settings other than DRF's defaults, a renderer of its own, a value orjson refuses) DRF
    renders. A float is spelled as Python spells it but for exponents (1e16, not 1e+16), which
    no coordinate has; the value read is the same. Five times faster on a network's matrix
    (30 MB, built from an empty cache after every write)."""
    if drf_render is None:
        if type(renderer) is not JSONRenderer:
            return renderer.render(data, accepted_media_type, context)
        drf_render = renderer.render
    drf_defaults = renderer.compact and not renderer.ensure_ascii and renderer.strict
    if data is None or not drf_defaults or renderer.get_indent(accepted_media_type, context):
        return drf_render(data, accepted_media_type, context)
    try:
        body = orjson.dumps(data, default=renderer.encoder_class().default, option=ORJSON_OPTIONS)
    except orjson.JSONEncodeError:
        return drf_render(data, accepted_media_type, context)
    if LINE_SEPARATORS.search(body):  # one pass over 30 MB, four times faster than replace()'s two
        body = body.replace("\u2028".encode(), b"\\u2028").replace("\u2029".encode(), b"\\u2029")
    return body

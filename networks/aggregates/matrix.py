"""The comparison matrix from codings (model instances or plain rows), its CSV rows, a city's
portfolio and facet counts."""

from collections import defaultdict
from collections.abc import Iterable

from networks.models import Code
from networks.models import Coding
from networks.models.sources import source_label as short_label
from networks.salience import highest
from networks.salience import salience_rank
from networks.visibility import RESTRICTED_LABEL


def code_columns(codes: Iterable[Code]) -> list[dict]:
    """Codebook columns in display order: functions first, then logics."""
    return [
        {"code": code.code, "name": code.name, "kind": code.kind}
        for code in sorted(codes, key=lambda code: (code.kind != Code.Kind.FUNCTION, code.position))
    ]


def evidence_details(
    original_text: str,
    language: str,
    source_kind: str,
    source_label: str,
    citation: str,
    interview_number: int | None,
    year: int | None,
    url: str,
) -> dict:
    """What a page shows of an evidence item beyond its line, when it is expanded: the
    original text as the reader may see it and the source's full citation: {"original_text",
    "language", "source_detail": {"kind", "label" (the study's own wording), "short_label" (the
    name `networks.models.sources.source_label` gives it everywhere), "citation",
    "interview_number", "year", "url"}}."""
    return {
        "original_text": original_text,
        "language": language,
        "source_detail": {
            "kind": source_kind,
            "label": source_label,
            "short_label": short_label(source_kind, source_label, citation, interview_number, year),
            "citation": citation,
            "interview_number": interview_number,
            "year": year,
            "url": url,
        },
    }


def evidence_rows(coding: Coding, details: bool = False) -> list[dict]:
    """A coding's evidence as plain dicts, as the reader may see it; expects `evidence`
    prefetched with its source by `Coding.objects.with_evidence(reader)`: {"id", "visibility",
    "kind", "text" (empty for restricted evidence the reader may not see), "locator",
    "source", "citation"}, and with `details` what a page shows when an item is expanded
    (`evidence_details`)."""
    rows = []
    for item in coding.evidence.all():
        row = {
            "id": item.pk,
            "visibility": item.visibility,
            "kind": item.shown_kind,
            "text": item.shown_text,
            "locator": item.shown_locator,
            "source": str(item.source),
            "citation": item.shown_citation,
        }
        if details:
            source = item.source
            row.update(
                evidence_details(
                    item.shown_original_text,
                    item.language,
                    source.kind,
                    source.label,
                    source.citation,
                    source.interview_number,
                    source.year,
                    source.url,
                )
            )
        rows.append(row)
    return rows


def evidence_line(item: dict) -> str:
    """An evidence row (`evidence_rows`) as one line of a CSV cell: "text (citation)", or
    "[Restricted evidence] (citation)" where the reader may not see the text."""
    return f"{item['text'] or f'[{RESTRICTED_LABEL}]'} ({item['citation']})"


def coding_row(coding: Coding, details: bool = False) -> dict:
    """A coding (with city, network, code and coder; `evidence` prefetched with its source)
    as the plain row `comparison_matrix_from_rows` reads: {"id", "city_id", "city_slug",
    "city_name", "country", "network_id", "network_slug", "network_name", "acronym",
    "code", "salience", "outcome", "perspective", "coded_at", "coder", "evidence":
    `evidence_rows`}."""
    city, network = coding.city, coding.network
    return {
        "id": coding.pk,
        "city_id": coding.city_id,
        "city_slug": city.slug,
        "city_name": city.name,
        "country": city.country,
        "network_id": coding.network_id,
        "network_slug": network.slug,
        "network_name": network.name,
        "acronym": network.acronym,
        "code": coding.code.code,
        "salience": coding.salience,
        "outcome": coding.outcome,
        "perspective": coding.perspective,
        "coded_at": coding.coded_at,
        "coder": coding.coder.name,
        "evidence": evidence_rows(coding, details),
    }


def evidence_by_coding(evidence: Iterable[tuple]) -> dict[int, list[dict]]:
    """`evidence_rows` from plain values (`Evidence.objects.for_matrix_rows()`, or
    `selectors.evidence_rows_for_pages()` with a page's details), by coding id, in their order.
    Each source is named once (`short_label`), however many items cite it."""
    by_coding: dict[int, list[dict]] = defaultdict(list)
    labels: dict[tuple, str] = {}
    for row in evidence:
        # The source's kind, label, citation, interview number and year (SOURCE_VALUES), then
        # with a page's details the original text, its language and the source's URL.
        source_values = tuple(row[6:11])
        source = labels.get(source_values)
        if source is None:
            source = labels[source_values] = short_label(*source_values)
        locator = row[5]
        item = {
            "id": row[1],
            "visibility": row[2],
            "kind": row[3],
            "text": row[4],
            "locator": locator,
            "source": source,
            "citation": f"{source}, {locator}" if locator else source,
        }
        if len(row) > 11:
            original_text, language, url = row[11:14]
            item.update(evidence_details(original_text, language, *source_values, url))
        by_coding[row[0]].append(item)
    return by_coding


def coding_rows(codings: Iterable[tuple], evidence: Iterable[tuple]) -> list[dict]:
    """`coding_row`s from plain values: `codings` from `Coding.objects.for_matrix_rows()`, in
    its order, `evidence` from `Evidence.objects.for_matrix_rows()` (by coding and position,
    as the reader may see it). `coded_at` is then the database's text of the time, which
    sorts as the time does."""
    by_coding = evidence_by_coding(evidence)
    return [
        {
            "id": pk,
            "city_id": city_id,
            "city_slug": city_slug,
            "city_name": city_name,
            "country": country,
            "network_id": network_id,
            "network_slug": network_slug,
            "network_name": network_name,
            "acronym": acronym,
            "code": code,
            "salience": salience,
            "outcome": outcome,
            "perspective": perspective,
            "coded_at": coded_at,
            "coder": coder,
            "evidence": by_coding.get(pk, []),
        }
        for (
            pk,
            city_id,
            city_slug,
            city_name,
            country,
            network_id,
            network_slug,
            network_name,
            acronym,
            code,
            salience,
            outcome,
            perspective,
            coded_at,
            coder,
        ) in codings
    ]


def summarise_cell(codings: list[Coding]) -> dict:
    """One matrix cell from the codings of one city x network x code.

    With one coding the cell is that coding. With several (several coders or
    perspectives) the cell shows the highest salience, the outcome that goes with it,
    and every coding, so nothing is hidden behind the summary. A rated coding leads over
    an unrated one; a cell whose codings are all unrated has salience None ("coded, not
    rated": a cell, unlike an uncoded one, and never a 0).
    """
    return summarise_rows([coding_row(coding) for coding in codings])


def summarise_rows(codings: list[dict]) -> dict:
    """`summarise_cell` of `coding_row`s; "unrated" counts the codings with no salience."""
    if len(codings) == 1:
        # A cell of one coding (as most of the study's are): it leads, without a ranking.
        leading = codings[0]
        evidence = list(leading["evidence"])
        coders = [leading["coder"]]
    else:
        leading = max(codings, key=lambda coding: (salience_rank(coding["salience"]), coding["coded_at"]))
        evidence = [row for coding in codings for row in coding["evidence"]]
        coders = sorted({coding["coder"] for coding in codings})
    return {
        "salience": leading["salience"],
        "unrated": sum(coding["salience"] is None for coding in codings),
        "outcome": leading["outcome"],
        "perspective": leading["perspective"],
        "evidence_count": len(evidence),
        "evidence": evidence,
        "coders": coders,
        "codings": [
            {
                "id": coding["id"],
                "salience": coding["salience"],
                "outcome": coding["outcome"],
                "perspective": coding["perspective"],
                "coder": coding["coder"],
            }
            for coding in codings
        ],
    }


def comparison_matrix(codings: Iterable[Coding], codes: Iterable[Code], details: bool = False) -> dict:
    """The city x code table: the study's comparison as data.

    `codings` come from `Coding.objects.for_matrix(...)`. Returns
    {"codes": [column...], "rows": [{"city": {...}, "network": {...},
    "cells": {code: cell or None}}]} with one row per city x network, in name order;
    a cell is None where the code was not applied. With `details`, each evidence item has
    what a page shows when it is expanded (`evidence_details`).
    """
    return comparison_matrix_from_rows((coding_row(coding, details) for coding in codings), codes)


def comparison_matrix_from_rows(codings: Iterable[dict], codes: Iterable[Code]) -> dict:
    """`comparison_matrix` of `coding_row`s (from `coding_rows()` for a big matrix, which
    builds no model instances). Returns the same shape."""
    columns = code_columns(codes)
    grouped: dict[tuple, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    places: dict[tuple, dict] = {}
    for coding in codings:
        key = (coding["city_name"], coding["network_name"], coding["city_id"], coding["network_id"])
        grouped[key][coding["code"]].append(coding)
        places[key] = coding
    rows = []
    for key in sorted(grouped):
        place, cells = places[key], grouped[key]
        rows.append(
            {
                "city": {"slug": place["city_slug"], "name": place["city_name"], "country": place["country"]},
                "network": {
                    "slug": place["network_slug"],
                    "name": place["network_name"],
                    "acronym": place["acronym"],
                },
                "cells": {
                    column["code"]: summarise_rows(cells[column["code"]]) if column["code"] in cells else None
                    for column in columns
                },
            }
        )
    return {"codes": columns, "rows": rows}


def comparison_matrix_from_values(codings: Iterable[tuple], evidence: Iterable[tuple], codes: Iterable[Code]) -> dict:
    """`comparison_matrix_from_rows(coding_rows(codings, evidence), codes)`, the same dict,
    built without a `coding_row` per coding: a network's matrix has 20,000 cells, most of one
    coding, and is built from an empty cache after every write (issue 15)."""
    columns = code_columns(codes)
    by_coding = evidence_by_coding(evidence)
    grouped: dict[tuple, dict[str, list[tuple]]] = {}
    places: dict[tuple, tuple] = {}
    for coding in codings:
        # (city name, network name, city id, network id): `comparison_matrix_from_rows`'s order.
        key = (coding[3], coding[7], coding[1], coding[5])
        cells = grouped.get(key)
        if cells is None:
            cells = grouped[key] = {}
            places[key] = coding
        cells.setdefault(coding[9], []).append(coding)
    rows = []
    for key in sorted(grouped):
        place, cells = places[key], grouped[key]
        rows.append(
            {
                "city": {"slug": place[2], "name": place[3], "country": place[4]},
                "network": {"slug": place[6], "name": place[7], "acronym": place[8]},
                "cells": {
                    column["code"]: _summarise_values(cells[column["code"]], by_coding)
                    if column["code"] in cells
                    else None
                    for column in columns
                },
            }
        )
    return {"codes": columns, "rows": rows}


def _summarise_values(codings: list[tuple], by_coding: dict[int, list[dict]]) -> dict:
    """`summarise_rows` of `Coding.objects.for_matrix_rows()` tuples, with their evidence."""
    if len(codings) == 1:
        pk, *_, salience, outcome, perspective, _coded_at, coder = codings[0]
        # The cell's own list: each coding's evidence is in one cell only.
        evidence = by_coding.get(pk, [])
        return {
            "salience": salience,
            "unrated": int(salience is None),
            "outcome": outcome,
            "perspective": perspective,
            "evidence_count": len(evidence),
            "evidence": evidence,
            "coders": [coder],
            "codings": [
                {"id": pk, "salience": salience, "outcome": outcome, "perspective": perspective, "coder": coder}
            ],
        }
    # The first of the highest salience (a rated one over an unrated one), then latest, leads.
    leading, best = None, None
    evidence, coders, cell_codings = [], set(), []
    for pk, *_, salience, outcome, perspective, coded_at, coder in codings:
        rank = (salience_rank(salience), coded_at)
        if leading is None or rank > best:
            leading, best = (salience, outcome, perspective), rank
        evidence.extend(by_coding.get(pk, ()))
        coders.add(coder)
        cell_codings.append(
            {"id": pk, "salience": salience, "outcome": outcome, "perspective": perspective, "coder": coder}
        )
    return {
        "salience": leading[0],
        "unrated": sum(coding["salience"] is None for coding in cell_codings),
        "outcome": leading[1],
        "perspective": leading[2],
        "evidence_count": len(evidence),
        "evidence": evidence,
        "coders": sorted(coders),
        "codings": cell_codings,
    }


def leading_within(sizes: list[int], limit: int) -> int:
    """How many of the first `sizes` fit within `limit` together: a page shows the evidence of
    its first rows whole, up to a number of codings (`networks.pages.evidence_shown`)."""
    total = 0
    for count, size in enumerate(sizes):
        total += size
        if total > limit:
            return count
    return len(sizes)


# The matrix's CSV columns, in order: the API and the comparison page download the same table.
MATRIX_COLUMNS = [
    "city",
    "city_slug",
    "country",
    "network",
    "network_slug",
    "code",
    "code_kind",
    "salience",
    "outcome",
    "perspective",
    "evidence_count",
    "coders",
    "evidence",
    "agreement",
]


def matrix_flat_rows(matrix: dict) -> list[dict]:
    """The matrix as one row per filled cell, for CSV: stable column names. `agreement` is
    the cell's mark from `agreement.matrix_with_agreement` ("single", "agreed" or
    "disputed"; empty for a matrix without marks)."""
    rows = []
    for row in matrix["rows"]:
        for column in matrix["codes"]:
            cell = row["cells"][column["code"]]
            if cell is None:
                continue
            rows.append(
                {
                    "city": row["city"]["name"],
                    "city_slug": row["city"]["slug"],
                    "country": row["city"]["country"],
                    "network": row["network"]["name"],
                    "network_slug": row["network"]["slug"],
                    "code": column["code"],
                    "code_kind": column["kind"],
                    "salience": cell["salience"],
                    "outcome": cell["outcome"],
                    "perspective": cell["perspective"],
                    "evidence_count": cell["evidence_count"],
                    "coders": "; ".join(cell["coders"]),
                    "evidence": " | ".join(evidence_line(item) for item in cell["evidence"]),
                    "agreement": (cell.get("agreement") or {}).get("status", ""),
                }
            )
    return rows


def city_portfolio(
    memberships: Iterable, codings: Iterable[tuple[int, str, int | None]], codes: Iterable[Code]
) -> dict:
    """What each of a city's networks is used for, where they overlap, what none serves.

    `memberships` are the city's spells (with `network`), `codings` the city's codings as
    (network id, code, salience) triples (`values_list("network_id", "code__code", "salience")`,
    or a profile's coding rows: no model is needed).
    Returns {"networks": [{"network": {...}, "spells": [...], "functions": {code: salience},
    "logics": {code: salience}}], "overlaps": {code: [network slugs]} for functions served
    (salience >= 1, or coded but not rated: the code applies) by two or more networks, "gaps":
    [function codes served by none]}. A code coded only unrated is in its dict with None.
    """
    columns = code_columns(codes)
    function_codes = [column["code"] for column in columns if column["kind"] == Code.Kind.FUNCTION]
    kinds = {column["code"]: column["kind"] for column in columns}
    by_network: dict[int, dict] = {}
    for membership in memberships:
        entry = by_network.setdefault(
            membership.network_id,
            {
                "network": {
                    "slug": membership.network.slug,
                    "name": membership.network.name,
                    "acronym": membership.network.acronym,
                },
                "spells": [],
                "functions": {},
                "logics": {},
            },
        )
        entry["spells"].append(membership.period)
    for network_id, code, salience in codings:
        entry = by_network.get(network_id)
        if entry is None or code not in kinds:
            # Not a member, or a code of an earlier codebook: neither is drawn.
            continue
        bucket = entry["functions"] if kinds[code] == Code.Kind.FUNCTION else entry["logics"]
        bucket[code] = highest([bucket.get(code), salience])
    networks = sorted(by_network.values(), key=lambda entry: entry["network"]["name"])
    served: dict[str, list[str]] = defaultdict(list)
    for entry in networks:
        for code, salience in entry["functions"].items():
            if salience is None or salience >= 1:
                served[code].append(entry["network"]["slug"])
    return {
        "codes": columns,
        "networks": networks,
        "overlaps": {code: slugs for code, slugs in served.items() if len(slugs) > 1},
        "gaps": [code for code in function_codes if code not in served],
    }


def facet_counts(rows: Iterable[dict], dimension: str) -> list[dict]:
    """Counts from `queryset.values(dimension).annotate(count=Count(...))` rows, as
    [{"value": ..., "count": n}] sorted by count, then value."""
    facets = [{"value": row[dimension], "count": row["count"]} for row in rows]
    return sorted(facets, key=lambda facet: (-facet["count"], str(facet["value"])))

"""The aggregates Citynet shows and serves: the comparison matrix, facets and a city's
portfolio. Pure functions over rows and model instances already fetched (no queries
here); the API and the HTML pages both call these, so a number is computed once.
"""

from collections import defaultdict
from collections.abc import Iterable

from networks.models import Code, Coding


def code_columns(codes: Iterable[Code]) -> list[dict]:
    """Codebook columns in display order: functions first, then logics."""
    return [
        {"code": code.code, "name": code.name, "kind": code.kind}
        for code in sorted(codes, key=lambda code: (code.kind != Code.Kind.FUNCTION, code.position))
    ]


def evidence_rows(coding: Coding) -> list[dict]:
    """A coding's evidence as plain dicts; expects `evidence` prefetched with its source."""
    return [
        {
            "id": item.pk,
            "kind": item.kind,
            "text": item.text,
            "locator": item.locator,
            "source": str(item.source),
            "citation": item.citation,
        }
        for item in coding.evidence.all()
    ]


def summarise_cell(codings: list[Coding]) -> dict:
    """One matrix cell from the codings of one city x network x code.

    With one coding the cell is that coding. With several (several coders or
    perspectives) the cell shows the highest salience, the outcome that goes with it,
    and every coding, so nothing is hidden behind the summary.
    """
    leading = max(codings, key=lambda coding: (coding.salience, coding.coded_at))
    evidence = [row for coding in codings for row in evidence_rows(coding)]
    return {
        "salience": leading.salience,
        "outcome": leading.outcome,
        "perspective": leading.perspective,
        "evidence_count": len(evidence),
        "evidence": evidence,
        "coders": sorted({coding.coder.name for coding in codings}),
        "codings": [
            {
                "id": coding.pk,
                "salience": coding.salience,
                "outcome": coding.outcome,
                "perspective": coding.perspective,
                "coder": coding.coder.name,
            }
            for coding in codings
        ],
    }


def comparison_matrix(codings: Iterable[Coding], codes: Iterable[Code]) -> dict:
    """The city x code table: the study's comparison as data.

    `codings` come from `Coding.objects.for_matrix(...)`. Returns
    {"codes": [column...], "rows": [{"city": {...}, "network": {...},
    "cells": {code: cell or None}}]} with one row per city x network, in name order;
    a cell is None where the code was not applied.
    """
    columns = code_columns(codes)
    grouped: dict[tuple, dict[str, list[Coding]]] = defaultdict(lambda: defaultdict(list))
    places: dict[tuple, tuple] = {}
    for coding in codings:
        key = (coding.city.name, coding.network.name, coding.city_id, coding.network_id)
        grouped[key][coding.code.code].append(coding)
        places[key] = (coding.city, coding.network)
    rows = []
    for key in sorted(grouped):
        city, network = places[key]
        rows.append(
            {
                "city": {"slug": city.slug, "name": city.name, "country": city.country},
                "network": {"slug": network.slug, "name": network.name, "acronym": network.acronym},
                "cells": {
                    column["code"]: summarise_cell(grouped[key][column["code"]])
                    if column["code"] in grouped[key]
                    else None
                    for column in columns
                },
            }
        )
    return {"codes": columns, "rows": rows}


def matrix_flat_rows(matrix: dict) -> list[dict]:
    """The matrix as one row per filled cell, for CSV: stable column names."""
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
                    "evidence": " | ".join(f"{item['text']} ({item['citation']})" for item in cell["evidence"]),
                }
            )
    return rows


def city_portfolio(memberships: Iterable, codings: Iterable[Coding], codes: Iterable[Code]) -> dict:
    """What each of a city's networks is used for, where they overlap, what none serves.

    `memberships` are the city's spells (with `network`), `codings` the city's codings.
    Returns {"networks": [{"network": {...}, "spells": [...], "functions": {code: salience},
    "logics": {code: salience}}], "overlaps": {code: [network slugs]} for functions served
    (salience >= 1) by two or more networks, "gaps": [function codes served by none]}.
    """
    columns = code_columns(codes)
    function_codes = [column["code"] for column in columns if column["kind"] == Code.Kind.FUNCTION]
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
    for coding in codings:
        entry = by_network.get(coding.network_id)
        if entry is None:
            continue
        bucket = entry["functions"] if coding.code.kind == Code.Kind.FUNCTION else entry["logics"]
        bucket[coding.code.code] = max(bucket.get(coding.code.code, 0), coding.salience)
    networks = sorted(by_network.values(), key=lambda entry: entry["network"]["name"])
    served: dict[str, list[str]] = defaultdict(list)
    for entry in networks:
        for code, salience in entry["functions"].items():
            if salience >= 1:
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

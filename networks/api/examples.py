"""Examples of the API's main operations for the schema: Oslo in Eurocities, and what the study
says it gets from it (`resource_schema` reads EXAMPLES by resource; the matrix reads MATRIX_EXAMPLES)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

from cities.geonames import GEONAMES_ATTRIBUTION
from networks.selectors import CODING_NOTE

READ_METHODS = ("GET", "HEAD")
# An id in a path: what the lookup's pattern ([0-9]{1,18}) lets through, from 1 (there is no id 0).
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": 10**18 - 1}
MAX_PAGE = 999_999_999  # nine digits, as ApiPagination.whole_page_number reads a page number


# Examples of the main operations (resource_schema reads EXAMPLES by resource; the matrix's
# view reads MATRIX_EXAMPLES): Oslo in Eurocities, and what the study says it gets from it.

SITE = "https://citynet.example.org/api/v1"
STUDY = (
    "Solveig Grønnestad (University of Stavanger) and Anne Bach Nielsen (University of Copenhagen), "
    '"Urbane forbindelser. En undersøgelse af byers stigende engagement i internationale bynetværk", 2018, pp. 63 ff.'
)
CODER = "Citynet seed coding of Grønnestad & Nielsen (2018)"
OSLO = {"slug": "oslo", "name": "Oslo", "country": "NO"}
EUROCITIES = {"slug": "eurocities", "name": "Eurocities", "acronym": ""}
EVIDENCE = {
    "id": 12,
    "kind": "paraphrase",
    "visibility": "public",
    "text": "Exchange of experience and learning; a useful tool for administrative staff",
    "locator": "p. 67",
    "source": "Interview 2, 2018",
    "citation": "Interview 2, 2018, p. 67",
}
CODING = {
    "id": 41,
    "city": "oslo",
    "city_name": "Oslo",
    "country": "NO",
    "network": "eurocities",
    "network_name": "Eurocities",
    "code": "knowledge",
    "code_name": "Knowledge sharing",
    "code_kind": "function",
    "salience": 3,
    "salience_label": "central",
    "outcome": "met",
    "perspective": "city",
    "coder": CODER,
    "coded_at": "2025-03-01T10:00:00Z",
    "note": "",
    "updated_at": "2025-03-01T10:00:00Z",
    "evidence": [
        {
            "id": 12,
            "kind": "paraphrase",
            "visibility": "public",
            "text": EVIDENCE["text"],
            "original_text": "For Oslo Kommune har Eurocities flere funktioner. "
            "Erfaringsudveksling og læring fremhæves af informanterne.",
            "public_paraphrase": "",
            "language": "da",
            "source": 3,
            "source_label": "Interview 2, 2018",
            "locator": "p. 67",
            "citation": "Interview 2, 2018, p. 67",
            "position": 0,
        }
    ],
}


def citation(path: str, sources: list[str]) -> dict:
    permalink = f"{SITE}/{path}"
    return {
        "permalink": permalink,
        "accessed": "2025-06-02",
        "release": "2025.1",
        "sources": sources,
        "apa": "Citynet contributors. (2025). Citynet: cities in international city networks (Version 2025.1) "
        f"[Data set]. Retrieved June 2, 2025, from {permalink}\nOriginal sources: {' '.join(sources)}",
        "bibtex": "@misc{citynet_2025_1,\n  author = {{Citynet contributors}},\n  title = {{Citynet: cities in "
        "international city networks}},\n  year = {2025},\n  version = {2025.1},\n"
        f"  howpublished = {{\\url{{{permalink}}}}},\n  urldate = {{2025-06-02}},\n}}",
    }


def page(path: str, results: list[dict], attribution: list[str]) -> dict:
    """A page of a list as the API answers it."""
    return {
        "count": len(results),
        "next": None,
        "previous": None,
        "attribution": attribution,
        "citation": citation(path, attribution),
        "results": results,
    }


CITY_ATTRIBUTION = [GEONAMES_ATTRIBUTION, "Population is indicative; each row's population_source names its source."]
MEMBERSHIP_ATTRIBUTION = [
    GEONAMES_ATTRIBUTION,
    "Membership spells: each row's source_label, source_citation and source_url name its source.",
]
EXAMPLES: dict[str, dict[str, list[OpenApiExample]]] = {
    "cities": {
        "list": [
            OpenApiExample(
                "Oslo found by name",
                description="`GET /api/v1/cities/?search=oslo`",
                response_only=True,
                value=page(
                    "cities/?search=oslo",
                    [
                        {
                            "slug": "oslo",
                            "name": "Oslo",
                            "country": "NO",
                            "country_name": "Norway",
                            "kind": "city",
                            "latitude": 59.91273,
                            "longitude": 10.74609,
                            "coordinates_note": "",
                            "population": 1082575,
                            "population_source": "GeoNames",
                            "geonames_id": 3143244,
                            "geonames_name": "Oslo",
                            "geonames_note": "",
                            "wikidata_id": "Q585",
                            "n_memberships": 2,
                            "created_at": "2025-03-01T10:00:00Z",
                            "updated_at": "2025-03-01T10:00:00Z",
                        }
                    ],
                    CITY_ATTRIBUTION,
                ),
            )
        ]
    },
    "memberships": {
        "list": [
            OpenApiExample(
                "Oslo in Eurocities",
                description="`GET /api/v1/memberships/?network=eurocities&city=oslo`",
                response_only=True,
                value=page(
                    "memberships/?city=oslo&network=eurocities",
                    [
                        {
                            "id": 7,
                            "city": "oslo",
                            "city_name": "Oslo",
                            "country": "NO",
                            "city_kind": "city",
                            "network": "eurocities",
                            "network_name": "Eurocities",
                            "type": "unknown",
                            "joined": None,
                            "joined_precision": "day",
                            "left": None,
                            "left_precision": "day",
                            "period": "dates not given by source",
                            "application_round": None,
                            "took_effect": True,
                            "listed_on": "2025-05-18",
                            "source": 9,
                            "source_label": "Eurocities member list, 2025",
                            "source_citation": "Eurocities member list, copied on 2025-05-18 (eurocities.eu).",
                            "source_url": "https://eurocities.eu/cities/",
                            "note": "",
                            "created_at": "2025-03-01T10:00:00Z",
                            "updated_at": "2025-03-01T10:00:00Z",
                        }
                    ],
                    MEMBERSHIP_ATTRIBUTION,
                ),
            )
        ]
    },
    "codings": {
        "list": [
            OpenApiExample(
                "Knowledge sharing in Oslo's use of Eurocities",
                description="`GET /api/v1/codings/?city=oslo&network=eurocities&code=knowledge`",
                response_only=True,
                value=page(
                    "codings/?city=oslo&code=knowledge&network=eurocities",
                    [CODING],
                    [GEONAMES_ATTRIBUTION, STUDY, CODING_NOTE],
                ),
            )
        ],
        "create": [
            OpenApiExample(
                "Code knowledge sharing for Oslo in Eurocities",
                request_only=True,
                value={
                    "city": "oslo",
                    "network": "eurocities",
                    "code": "knowledge",
                    "salience": 3,
                    "outcome": "met",
                    "perspective": "city",
                    "coder": CODER,
                    "evidence": [
                        {
                            "kind": "paraphrase",
                            "text": EVIDENCE["text"],
                            "language": "da",
                            "source": 3,
                            "locator": "p. 67",
                        }
                    ],
                },
            ),
            OpenApiExample("The coding created", response_only=True, status_codes=["201"], value=CODING),
        ],
    },
}
MATRIX_EXAMPLES = [
    OpenApiExample(
        "Oslo and knowledge sharing in Eurocities",
        description="`GET /api/v1/matrix/?network=eurocities&city=oslo` (one column shown)",
        response_only=True,
        value={
            "network": EUROCITIES,
            "cities": ["oslo"],
            "codes": [{"code": "knowledge", "name": "Knowledge sharing", "kind": "function"}],
            "rows": [
                {
                    "city": OSLO,
                    "network": EUROCITIES,
                    "cells": {
                        "knowledge": {
                            "salience": 3,
                            "unrated": 0,
                            "outcome": "met",
                            "perspective": "city",
                            "evidence_count": 1,
                            "evidence": [EVIDENCE],
                            "coders": [CODER],
                            "codings": [
                                {"id": 41, "salience": 3, "outcome": "met", "perspective": "city", "coder": CODER}
                            ],
                            "agreement": {
                                "status": "single",
                                "coders": 1,
                                "values": [
                                    {
                                        "coder": CODER,
                                        "applied": True,
                                        "salience": 3,
                                        "salience_label": "central",
                                        "outcome": "met",
                                    }
                                ],
                                "salience_range": [3, 3],
                                "summary": f"Coded by {CODER} only",
                            },
                        }
                    },
                }
            ],
            "attribution": [GEONAMES_ATTRIBUTION, STUDY, CODING_NOTE],
            "citation": citation("matrix/?city=oslo&network=eurocities", [GEONAMES_ATTRIBUTION, STUDY, CODING_NOTE]),
        },
    )
]

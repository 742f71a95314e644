"""The SQL floors of `networks.tooling.benchmark`: for each page or endpoint timed, hand-written
SQL run through `connection.cursor()` that fetches the same rows it needs. A page cannot be
faster than its floor; the benchmark reports each case's time as a multiple of it."""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection

from cities.models import City
from networks.models import Network


def sql_rows(*statements: tuple[str, list]) -> Callable[[], list]:
    """A floor: run each (sql, params) and fetch every row."""

    def run() -> list:
        rows = []
        with connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
                rows.extend(cursor.fetchall())
        return rows

    return run


def floor_city_list(network: Network) -> Callable[[], list]:
    members = "SELECT m.city_id FROM networks_membership m WHERE m.network_id = %s"
    return sql_rows(
        (f"SELECT COUNT(*) FROM cities_city c WHERE c.id IN ({members})", [network.pk]),
        (
            "SELECT c.id, c.name, c.slug, c.country, c.kind, c.population, "
            "(SELECT COUNT(*) FROM networks_membership n WHERE n.city_id = c.id) "
            f"FROM cities_city c WHERE c.id IN ({members}) ORDER BY c.name, c.country, c.id LIMIT 100",
            [network.pk],
        ),
    )


CODINGS_WITH_EVIDENCE = (
    "SELECT co.id, co.city_id, ci.name, ci.slug, ci.country, co.network_id, n.name, n.slug, n.acronym, "
    "k.code, k.name, k.kind, k.position, co.salience, co.outcome, co.perspective, co.coded_at, cr.name, "
    "e.id, e.kind, e.text, e.locator, s.label, s.citation "
    "FROM networks_coding co "
    "LEFT JOIN cities_city ci ON ci.id = co.city_id "
    "JOIN networks_network n ON n.id = co.network_id "
    "JOIN networks_code k ON k.id = co.code_id "
    "JOIN networks_coder cr ON cr.id = co.coder_id "
    "LEFT JOIN networks_evidence e ON e.coding_id = co.id "
    "LEFT JOIN networks_source s ON s.id = e.source_id "
)
CURRENT_CODES = (
    "SELECT k.id, k.code, k.name, k.kind, k.position FROM networks_code k "
    "JOIN networks_codebookversion v ON v.id = k.version_id WHERE v.is_current ORDER BY k.kind, k.position",
    [],
)


def floor_city_profile(city: City) -> Callable[[], list]:
    return sql_rows(
        ("SELECT * FROM cities_city WHERE slug = %s", [city.slug]),
        (
            "SELECT m.id, m.type, m.joined, m.joined_precision, m.left, m.left_precision, m.application_round, "
            "m.took_effect, m.listed_on, m.note, n.name, n.slug, n.acronym, s.label, s.citation, s.url "
            "FROM networks_membership m JOIN networks_network n ON n.id = m.network_id "
            "JOIN networks_source s ON s.id = m.source_id WHERE m.city_id = %s ORDER BY n.name, m.joined, m.id",
            [city.pk],
        ),
        (
            CODINGS_WITH_EVIDENCE
            + "WHERE co.city_id = %s ORDER BY n.name, k.kind, k.position, co.id, e.position, e.id",
            [city.pk],
        ),
        (
            "SELECT p.id, p.unit, p.unit_kind, p.involvement, p.note, p.locator, n.name, sn.name, s.label "
            "FROM networks_participation p JOIN networks_network n ON n.id = p.network_id "
            "LEFT JOIN networks_subnetwork sn ON sn.id = p.subnetwork_id JOIN networks_source s ON s.id = p.source_id "
            "WHERE p.city_id = %s ORDER BY n.name, sn.name, p.unit",
            [city.pk],
        ),
        (
            "SELECT o.id, o.observed_on, o.observed_precision, o.approximate, o.level, o.is_peak, o.note, o.locator, "
            "n.name, n.slug, s.label FROM networks_engagementobservation o "
            "JOIN networks_network n ON n.id = o.network_id JOIN networks_source s ON s.id = o.source_id "
            "WHERE o.city_id = %s ORDER BY n.name, o.observed_on",
            [city.pk],
        ),
        CURRENT_CODES,
    )


def floor_network_profile(network: Network) -> Callable[[], list]:
    """The rows the network page shows: the network, its sub-networks, the first page of 100
    spells and their count, every member place for the map, the network's own codings and the
    first 50 member codings with evidence (and their count), what it offers and its members use
    (summed up per function), the codebook."""
    own_and_used = (
        "SELECT co.city_id, ci.slug, ci.name, k.code, MAX(co.salience) FROM networks_coding co "
        "JOIN networks_code k ON k.id = co.code_id LEFT JOIN cities_city ci ON ci.id = co.city_id "
        "WHERE co.network_id = %s AND k.kind = 'function' AND (co.city_id IS NULL OR co.perspective = 'city') "
        "GROUP BY co.city_id, ci.slug, ci.name, k.code"
    )
    return sql_rows(
        ("SELECT * FROM networks_network WHERE slug = %s", [network.slug]),
        ("SELECT * FROM networks_subnetwork WHERE network_id = %s ORDER BY kind, name", [network.pk]),
        ("SELECT COUNT(*) FROM networks_membership WHERE network_id = %s", [network.pk]),
        (
            "SELECT m.id, m.type, m.joined, m.joined_precision, m.left, m.left_precision, m.took_effect, "
            "c.name, c.slug, c.country, c.kind, s.label, s.url "
            "FROM networks_membership m JOIN cities_city c ON c.id = m.city_id "
            "JOIN networks_source s ON s.id = m.source_id WHERE m.network_id = %s "
            "ORDER BY c.name, m.joined, m.id LIMIT 100",
            [network.pk],
        ),
        (
            "SELECT DISTINCT c.id, c.slug, c.name, c.country, c.kind, c.latitude, c.longitude "
            "FROM networks_membership m JOIN cities_city c ON c.id = m.city_id "
            "WHERE m.network_id = %s AND m.took_effect",
            [network.pk],
        ),
        (CODINGS_WITH_EVIDENCE + "WHERE co.network_id = %s AND co.city_id IS NULL", [network.pk]),
        (
            CODINGS_WITH_EVIDENCE + "WHERE co.id IN (SELECT c2.id FROM networks_coding c2 "
            "JOIN networks_code k2 ON k2.id = c2.code_id JOIN cities_city ci2 ON ci2.id = c2.city_id "
            "WHERE c2.network_id = %s ORDER BY k2.kind, k2.position, ci2.name, c2.id LIMIT 50)",
            [network.pk],
        ),
        ("SELECT COUNT(*) FROM networks_coding WHERE network_id = %s AND city_id IS NOT NULL", [network.pk]),
        (own_and_used, [network.pk]),
        CURRENT_CODES,
    )


def floor_matrix(network: Network) -> Callable[[], list]:
    return sql_rows(
        (
            CODINGS_WITH_EVIDENCE + "WHERE co.network_id = %s AND co.city_id IS NOT NULL "
            "ORDER BY ci.name, co.city_id, k.kind, k.position, co.id, e.position, e.id",
            [network.pk],
        ),
        CURRENT_CODES,
    )


def floor_compare(network: Network) -> Callable[[], list]:
    """The rows the comparison page shows: the network's coded cities (their count, and the
    first page of 50 by name), their codings with evidence, the networks for the select."""
    coded = (
        "SELECT c.id FROM cities_city c WHERE c.id IN "
        "(SELECT co.city_id FROM networks_coding co WHERE co.network_id = %s)"
    )
    return sql_rows(
        (f"SELECT COUNT(*) FROM ({coded}) AS coded", [network.pk]),
        (
            "SELECT c.id, c.slug, c.name FROM cities_city c WHERE c.id IN "
            "(SELECT co.city_id FROM networks_coding co WHERE co.network_id = %s) ORDER BY c.name LIMIT 50",
            [network.pk],
        ),
        (
            CODINGS_WITH_EVIDENCE + "WHERE co.network_id = %s AND co.city_id IN (SELECT c.id FROM cities_city c "
            "WHERE c.id IN (SELECT co2.city_id FROM networks_coding co2 WHERE co2.network_id = %s) "
            "ORDER BY c.name LIMIT 50) ORDER BY ci.name, k.kind, k.position, co.id, e.position, e.id",
            [network.pk, network.pk],
        ),
        CURRENT_CODES,
        ("SELECT slug, name FROM networks_network ORDER BY name", []),
    )


MEMBERSHIP_ROWS = (
    "SELECT m.id, c.slug, c.name, c.country, c.kind, n.slug, n.name, m.type, m.joined, m.joined_precision, "
    "m.left, m.left_precision, m.application_round, m.took_effect, m.listed_on, m.source_id, s.label, "
    "s.citation, s.url, m.note, m.created_at, m.updated_at "
    "FROM networks_membership m JOIN cities_city c ON c.id = m.city_id "
    "JOIN networks_network n ON n.id = m.network_id JOIN networks_source s ON s.id = m.source_id "
)


def floor_membership_list(network: Network) -> Callable[[], list]:
    return sql_rows(
        ("SELECT COUNT(*) FROM networks_membership WHERE network_id = %s", [network.pk]),
        (MEMBERSHIP_ROWS + "WHERE m.network_id = %s ORDER BY n.name, c.name, m.joined, m.id LIMIT 50", [network.pk]),
    )


def floor_city_api_list(network: Network) -> Callable[[], list]:
    members = "SELECT m.city_id FROM networks_membership m WHERE m.network_id = %s"
    return sql_rows(
        (f"SELECT COUNT(*) FROM cities_city c WHERE c.id IN ({members})", [network.pk]),
        (
            "SELECT c.*, (SELECT COUNT(*) FROM networks_membership n WHERE n.city_id = c.id) "
            f"FROM cities_city c WHERE c.id IN ({members}) ORDER BY c.name, c.country, c.id LIMIT 50",
            [network.pk],
        ),
    )


def floor_csv() -> list:
    """Every membership row, fetched in chunks as a streaming export reads them."""
    rows = 0
    with connection.cursor() as cursor:
        cursor.execute(MEMBERSHIP_ROWS + "ORDER BY n.name, c.name, m.joined, m.id", [])
        while chunk := cursor.fetchmany(2000):
            rows += len(chunk)
    return [rows]

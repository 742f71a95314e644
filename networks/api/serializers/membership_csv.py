"""Membership spells as CSV at the speed of a full export: `MembershipSerializer.csv_text()` writes
a block of `for_export()` rows column by column, each field's cells as `csv_lines()` writes them
from `to_representation()`."""

from citynet.downloads import quoted_cell
from networks.dates import spell_period
from networks.models import iso_utc


class SpellColumns:
    """A block of `Membership.objects.for_export()` rows, column by column, with each spell's
    place, network and source as their quoted cells (a place's written once, however many
    spells it has; a network's and a source's once per export)."""

    def __init__(self, rows: list[tuple], places: dict, networks: dict, sources: dict):
        (
            self.id,
            self.city,
            self.city_name,
            self.country,
            self.city_kind,
            self.network_id,
            self.type,
            self.joined,
            self.joined_precision,
            self.left,
            self.left_precision,
            self.application_round,
            self.took_effect,
            self.listed_on,
            self.source_id,
            self.note,
            self.created_at,
            self.updated_at,
        ) = zip(*rows, strict=True)
        self.places = [
            places.get(slug) or places.setdefault(slug, place_cells(slug, name, country, kind))
            for slug, name, country, kind in zip(self.city, self.city_name, self.country, self.city_kind, strict=True)
        ]
        self.networks = [networks[pk] for pk in self.network_id]
        self.sources = [sources[pk] for pk in self.source_id]


def place_cells(*values: str) -> tuple[str, ...]:
    return with_piece(tuple(map(quoted_cell, values)))


def with_piece(cells: tuple[str, ...]) -> tuple[str, ...]:
    """Cells, then the same cells joined as one piece of a line (for a place, network or source
    whose columns stand side by side, as they do in every full export)."""
    return (*cells, ",".join(cells))


def csv_cells(columns: list[str]) -> list:
    """The cell writers for `columns`, a run of a place's, network's or source's columns
    written as the one piece it is stored as. A field without a cell writer is an error."""
    cells, index = [], 0
    while index < len(columns):
        for group, piece in MEMBERSHIP_CSV_PIECES.items():
            if tuple(columns[index : index + len(group)]) == group:
                cells.append(piece)
                index += len(group)
                break
        else:
            cells.append(MEMBERSHIP_CSV_CELLS[columns[index]])
            index += 1
    return cells


def quoted_as_is(values) -> list[str]:
    """Cells of values that hold no quote (enumerations, ISO dates): quoted as they are."""
    return [f'"{value}"' for value in values]


def iso_dates(values) -> list[str]:
    return [f'"{value.isoformat()}"' if value else '""' for value in values]


# Each MembershipSerializer field's CSV cells for a block of spells (`SpellColumns`), as
# `csv_lines()` writes them from `to_representation()`.
MEMBERSHIP_CSV_CELLS = {
    "id": lambda spells: list(map(str, spells.id)),
    "city": lambda spells: [place[0] for place in spells.places],
    "city_name": lambda spells: [place[1] for place in spells.places],
    "country": lambda spells: [place[2] for place in spells.places],
    "city_kind": lambda spells: [place[3] for place in spells.places],
    "network": lambda spells: [network[0] for network in spells.networks],
    "network_name": lambda spells: [network[1] for network in spells.networks],
    "type": lambda spells: quoted_as_is(spells.type),
    "joined": lambda spells: iso_dates(spells.joined),
    "joined_precision": lambda spells: quoted_as_is(spells.joined_precision),
    "left": lambda spells: iso_dates(spells.left),
    "left_precision": lambda spells: quoted_as_is(spells.left_precision),
    "period": lambda spells: [
        quoted_cell(spell_period(*spell))
        for spell in zip(
            spells.joined, spells.joined_precision, spells.left, spells.left_precision, spells.took_effect, strict=True
        )
    ],
    "application_round": lambda spells: ['""' if value is None else str(value) for value in spells.application_round],
    "took_effect": lambda spells: ['"true"' if value else '"false"' for value in spells.took_effect],
    "listed_on": lambda spells: iso_dates(spells.listed_on),
    "source": lambda spells: [source[0] for source in spells.sources],
    "source_label": lambda spells: [source[1] for source in spells.sources],
    "source_citation": lambda spells: [source[2] for source in spells.sources],
    "source_url": lambda spells: [source[3] for source in spells.sources],
    "note": lambda spells: list(map(quoted_cell, spells.note)),
    "created_at": lambda spells: [f'"{iso_utc(value) or ""}"' for value in spells.created_at],
    "updated_at": lambda spells: [f'"{iso_utc(value) or ""}"' for value in spells.updated_at],
}
# Runs of columns that a place, a network or a source fills side by side, written as one piece.
MEMBERSHIP_CSV_PIECES = {
    ("city", "city_name", "country", "city_kind"): lambda spells: [place[4] for place in spells.places],
    ("network", "network_name"): lambda spells: [network[2] for network in spells.networks],
    ("source", "source_label", "source_citation", "source_url"): lambda spells: [
        source[4] for source in spells.sources
    ],
}

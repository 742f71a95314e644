"""Membership spells as CSV at the speed of a full export (`MembershipSerializer.csv_text()`):
each spell's line written from a `for_export()` value tuple in one piece, with the cells
`csv_lines()` writes for its `to_representation()` under the serializer's fields, in order
(tests/networks/api/test_csv.py compares the two for awkward values)."""

from collections.abc import Iterable
from collections.abc import Iterator

from citynet.downloads import quoted_cell
from networks.dates import spell_period
from networks.models import iso_utc

BLOCK = 1000


def membership_csv_lines(spells: Iterable[tuple], networks: dict[int, str], sources: dict[int, str]) -> Iterator[str]:
    """`Membership.objects.for_export()` tuples as CSV lines, `BLOCK` lines a piece.

    `networks` and `sources` hold each network's and source's cells joined once
    (`{id: 'slug,name'}`, `{id: 'id,label,citation,url'}`); a place's cells are joined once
    too; dates, enumerations and timestamps hold no quote and are quoted as they are; only free
    text goes through `quoted_cell()`."""
    places: dict[str, str] = {}
    block: list[str] = []
    for (
        pk,
        city,
        city_name,
        country,
        city_kind,
        network,
        type_,
        joined,
        joined_precision,
        left,
        left_precision,
        application_round,
        took_effect,
        listed_on,
        source,
        note,
        created_at,
        updated_at,
    ) in spells:
        place = places.get(city)
        if place is None:
            place = places[city] = ",".join(map(quoted_cell, (city, city_name, country, city_kind)))
        period = quoted_cell(spell_period(joined, joined_precision, left, left_precision, took_effect))
        round_ = '""' if application_round is None else application_round
        block.append(
            f'{pk},{place},{networks[network]},"{type_}","{joined.isoformat() if joined else ""}",'
            f'"{joined_precision}","{left.isoformat() if left else ""}","{left_precision}",{period},{round_},'
            f'"{"true" if took_effect else "false"}","{listed_on.isoformat() if listed_on else ""}",'
            f'{sources[source]},{quoted_cell(note)},"{iso_utc(created_at) or ""}","{iso_utc(updated_at) or ""}"\r\n'
        )
        if len(block) == BLOCK:
            yield "".join(block)
            block = []
    if block:
        yield "".join(block)

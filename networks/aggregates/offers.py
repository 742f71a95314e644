"""What a network offers beside what its members use, summed up from each member's highest
salience per function. A page of a network with 10,000 members shows the first members of each
bar; finding them among each member's highest salience (20,000 rows) without sorting all of
them, and without a dict per row, kept the network page's first build within its budget
(issue 15)."""

import heapq
from collections import defaultdict
from collections.abc import Hashable
from collections.abc import Iterable

from citynet.links import slug_url
from networks.aggregates.matrix import code_columns
from networks.models import Code
from networks.models import Coding
from networks.salience import highest
from networks.salience import salience_rank

# The two perspectives on members' use, each averaged on its own: what their informants say,
# and the researchers' analysis (which may code a function no informant named).
MEMBER_SIDES = {Coding.Perspective.CITY: "members", Coding.Perspective.RESEARCHER: "researchers"}


def offer_anchor(code: str, side: str) -> str:
    """The HTML id of the evidence behind one bar of the offer-and-use chart."""
    return f"offer-{code}-{side}"


def highest_per_member(rows: Iterable[tuple[str, str, Hashable, int | None]]) -> list[tuple]:
    """(perspective, code, member, salience) rows with each (perspective, code, member) once, at
    its highest salience (`salience.highest`: a rated one above none), for
    `offer_and_use_from_highest`."""
    found: dict[tuple, int | None] = {}
    for perspective, code, member, salience in rows:
        key = (perspective, code, member)
        found[key] = highest([found[key], salience]) if key in found else salience
    return [(*key, salience) for key, salience in found.items()]


def offer_and_use_from_highest(
    own: dict[str, int | None],
    highest: Iterable[tuple[str, str, Hashable, int | None]],
    names: dict[Hashable, tuple[str, str]],
    codes: Iterable[Code],
    shown: int | None = None,
) -> dict:
    """`shapes.offer_and_use`'s shape from each member's highest salience: `highest` are
    (perspective, function code, member, salience or None when none is rated), one row per
    perspective, code and member; `names` maps each member to its (name, slug); `own` and
    `codes` as for `offer_and_use`. With `shown`, the lists of names ("<side>_counted", and
    each function's "<side>": {"name", "slug", "salience", "url"}) hold only their first
    `shown` entries, in the same order; the counts ("<side>_coded", "<side>_mentioning",
    "<side>_unrated") and means are over all."""
    columns = [column for column in code_columns(codes) if column["kind"] == Code.Kind.FUNCTION]
    coded: dict[str, set] = {side: set() for side in MEMBER_SIDES.values()}
    # Per side and code, the members at each salience: a bar's first names come from its top
    # levels only, and a network of 10,000 members has 22,000 rows.
    levels: dict[tuple[str, str], dict[int | None, list]] = defaultdict(lambda: defaultdict(list))
    for perspective, code, member, salience in highest:
        side = MEMBER_SIDES.get(perspective)
        if side is not None:
            coded[side].add(member)
            levels[side, code][salience].append(member)

    def first(members: list, limit: int | None) -> list[tuple[str, str]]:
        ranked = (names[member] for member in members)
        return sorted(ranked) if limit is None else heapq.nsmallest(limit, ranked)

    functions = []
    for column in columns:
        code = column["code"]
        function = {
            **column,
            "network_salience": own.get(code),
            "network_unrated": code in own and own[code] is None,
            "network_anchor": offer_anchor(code, "network"),
        }
        for side, members in coded.items():
            found = levels.get((side, code), {})
            unrated = len(found.get(None, ()))
            total = sum(salience * len(named) for salience, named in found.items() if salience is not None)
            counted = len(members) - unrated
            mentioning = []
            for salience in sorted(found, key=salience_rank, reverse=True):
                left = None if shown is None else shown - len(mentioning)
                if left == 0:
                    break
                mentioning += [
                    {"name": name, "slug": slug, "salience": salience, "url": slug_url("cities:city_detail", slug)}
                    for name, slug in first(found[salience], left)
                ]
            function[f"{side}_mean"] = round(total / counted, 2) if counted else None
            function[f"{side}_unrated"] = unrated
            function[f"{side}_mentioning"] = sum(len(named) for named in found.values())
            function[side] = mentioning
            function[f"{side}_anchor"] = offer_anchor(code, side)
        functions.append(function)

    def stressed(key: str) -> list[str]:
        values = [function[key] for function in functions if function[key] is not None]
        top = max(values, default=0)
        return [function["name"] for function in functions if top >= 2 and function[key] == top]

    def counted_names(side: str) -> list[str]:
        return [name for name, _slug in first(list(coded[side]), shown)]

    return {
        "members_coded": len(coded["members"]),
        "members_counted": counted_names("members"),
        "researchers_coded": len(coded["researchers"]),
        "researchers_counted": counted_names("researchers"),
        "functions": functions,
        "network_stresses": stressed("network_salience"),
        "members_stress": stressed("members_mean"),
        "researchers_stress": stressed("researchers_mean"),
    }

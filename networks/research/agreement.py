"""Inter-coder agreement: Cohen's kappa, Krippendorff's alpha, disagreements and the
agreement mark of a comparison-matrix cell. Pure functions over plain rows (no queries).

The input is a list of coding rows, dicts shaped like `coding_rows()` returns:
{"id", "city" (slug, or None for the network as a whole), "city_name", "network" (slug),
"code", "coder" (name), "salience" (0-3, or None: coded, not rated), "outcome", "perspective",
"note", "evidence"}.

Definitions used throughout (they are what the numbers mean, so the pages should link here):

- A *case* is one city x network (or a network as a whole). A coder *coded the case* when
  they have at least one coding in it, whatever the code.
- A *unit* is one case x code: one cell of the comparison matrix. Only cases coded by two
  or more coders are units of agreement; a case one coder never looked at tells nothing
  about agreement, so that coder's value there is missing, not "not applied".
- A coder's *value* in a unit is their coding of that code in that case. A coder may code
  one cell from several perspectives; the cell then counts with the coder's highest
  salience (a rated coding over an unrated one, the latest on a tie), the rule the comparison
  matrix uses to summarise a cell, so agreement is measured on what the matrix shows.
- *Presence*: whether a coder who coded the case applied the code there (any coding, even
  salience 0 "explicitly not important" or one not rated, is applied). Nominal, two categories.
- *Salience*: the 0-3 category, compared only where both (all) coders applied the code and
  rated it; elsewhere it is missing. A coding with no salience is never read as 0: its unit
  is left out of the salience figures (for that coder), and `salience_left_out` counts such
  units. Cohen's kappa treats the four categories as nominal (any
  difference is a full disagreement); Krippendorff's alpha uses the ordinal metric, so
  "central" against "important" weighs less than "central" against "minor".
- *Agreed* cell: every coder who coded the case applied the code, with the same salience
  category (or every one of them unrated) and the same outcome. No tolerance: 2 against 3 is the distinction between
  "important" and "central" that the matrix exists to show, so it counts as disputed.

Cohen's kappa is defined for two coders; with more, `agreement_summary` gives it for each
pair, and Krippendorff's alpha (any number of coders, missing values allowed) is the
overall figure. Both are None where undefined: no pairable units, or no variation at all
(every value the same), where chance agreement is total and the ratio is 0/0.
"""

from collections import defaultdict
from collections.abc import Callable
from collections.abc import Hashable
from collections.abc import Iterable
from collections.abc import Sequence
from itertools import combinations

from networks.salience import SALIENCE_LABELS
from networks.salience import salience_label
from networks.salience import salience_rank

LEVELS = ("nominal", "ordinal", "interval", "ratio")


# --- The statistics ------------------------------------------------------------------


def cohen_kappa(
    pairs: Iterable[tuple[Hashable, Hashable]],
    *,
    weights: str | None = None,
    categories: Sequence[Hashable] | None = None,
) -> float | None:
    """Cohen's kappa for two coders from (first coder's value, second coder's value) pairs.

    Unweighted (nominal) by default. `weights="linear"` or `"quadratic"` gives the weighted
    kappa for ordered categories, in the order of `categories` (default: sorted values).
    Returns None when there are no pairs or chance agreement is already total.
    """
    pairs = list(pairs)
    if not pairs:
        return None
    order = list(categories) if categories is not None else sorted({value for pair in pairs for value in pair})
    index = {value: position for position, value in enumerate(order)}
    size, n = len(order), len(pairs)
    observed = [[0.0] * size for _ in range(size)]
    for first, second in pairs:
        observed[index[first]][index[second]] += 1
    first_totals = [sum(row) for row in observed]
    second_totals = [sum(observed[row][column] for row in range(size)) for column in range(size)]

    def disagreement(row: int, column: int) -> float:
        if weights is None:
            return 0.0 if row == column else 1.0
        if size == 1:
            return 0.0
        distance = abs(row - column) / (size - 1)
        if weights == "linear":
            return distance
        if weights == "quadratic":
            return distance**2
        raise ValueError(f"Unknown weights {weights!r}: use None, 'linear' or 'quadratic'.")

    observed_disagreement = sum(
        disagreement(row, column) * observed[row][column] / n for row in range(size) for column in range(size)
    )
    expected_disagreement = sum(
        disagreement(row, column) * first_totals[row] * second_totals[column] / n**2
        for row in range(size)
        for column in range(size)
    )
    if expected_disagreement == 0:
        return None
    return 1 - observed_disagreement / expected_disagreement


def _distance(level: str, ordered: list, counts: dict) -> Callable[[Hashable, Hashable], float]:
    """Krippendorff's squared difference function delta^2 for one level of measurement."""
    if level == "nominal":
        return lambda c, k: 0.0 if c == k else 1.0
    if level == "interval":
        return lambda c, k: float((c - k) ** 2)
    if level == "ratio":
        return lambda c, k: 0.0 if c == k else float(((c - k) / (c + k)) ** 2)
    if level == "ordinal":
        rank = {value: position for position, value in enumerate(ordered)}

        def ordinal(c: Hashable, k: Hashable) -> float:
            low, high = sorted((rank[c], rank[k]))
            between = sum(counts[ordered[g]] for g in range(low, high + 1))
            return float((between - (counts[c] + counts[k]) / 2) ** 2)

        return ordinal
    raise ValueError(f"Unknown level {level!r}: use one of {', '.join(LEVELS)}.")


def krippendorff_alpha(
    data: Sequence[Sequence[Hashable | None]],
    *,
    level: str = "nominal",
    categories: Sequence[Hashable] | None = None,
) -> float | None:
    """Krippendorff's alpha from a reliability data matrix: one row per coder, one column
    per unit, None where a coder gave no value.

    Computed through the coincidence matrix as in Krippendorff (2011), "Computing
    Krippendorff's Alpha-Reliability": units with fewer than two values are not pairable
    and drop out. `categories` orders the values for the ordinal metric (default: sorted).
    Returns None when fewer than two values are pairable or there is no variation.
    """
    if level not in LEVELS:
        raise ValueError(f"Unknown level {level!r}: use one of {', '.join(LEVELS)}.")
    columns = zip(*data, strict=True) if data else []
    coincidences: dict[tuple, float] = defaultdict(float)
    for column in columns:
        values = [value for value in column if value is not None]
        if len(values) < 2:
            continue
        for position, c in enumerate(values):
            for other, k in enumerate(values):
                if position != other:
                    coincidences[(c, k)] += 1 / (len(values) - 1)
    counts: dict[Hashable, float] = defaultdict(float)
    for (c, _k), weight in coincidences.items():
        counts[c] += weight
    total = sum(counts.values())
    if total <= 1:
        return None
    ordered = list(categories) if categories is not None else sorted(counts)
    ordered = [value for value in ordered if value in counts]
    delta = _distance(level, ordered, counts)
    observed = sum(weight * delta(c, k) for (c, k), weight in coincidences.items())
    expected = sum(counts[c] * counts[k] * delta(c, k) for c in counts for k in counts)
    if expected == 0:
        return None
    return 1 - (total - 1) * observed / expected


def percent_agreement(pairs: Iterable[tuple[Hashable, Hashable]]) -> float | None:
    """Share of pairs with the same value, or None without pairs."""
    pairs = list(pairs)
    if not pairs:
        return None
    return sum(first == second for first, second in pairs) / len(pairs)


# --- From codings to units -----------------------------------------------------------


def coding_rows(codings: Iterable) -> list[dict]:
    """Coding instances (from `Coding.objects.for_agreement(reader)`: city, network, code, coder
    joined, evidence with source prefetched as the reader may see it) as the plain rows this
    module works on. Each evidence item also carries what a page unfolds it to, as the reader
    may see it: "locator", "original_text", "language" and "source_detail" (the source's "kind",
    "label", "short_label", "citation", "interview_number", "year" and "url")."""
    return [
        {
            "id": coding.pk,
            "city": coding.city.slug if coding.city_id else None,
            "city_name": coding.city.name if coding.city_id else "",
            "network": coding.network.slug,
            "code": coding.code.code,
            "coder": coding.coder.name,
            "salience": coding.salience,
            "outcome": coding.outcome,
            "perspective": coding.perspective,
            "note": coding.note,
            "coded_at": coding.coded_at.isoformat() if coding.coded_at else "",
            "evidence": [
                {
                    "visibility": item.visibility,
                    "kind": item.shown_kind,
                    "text": item.shown_text,
                    "citation": item.shown_citation,
                    "locator": item.shown_locator,
                    "original_text": item.shown_original_text,
                    "language": item.language,
                    "source_detail": _source_detail(item.source),
                }
                for item in coding.evidence.all()
            ],
        }
        for coding in codings
    ]


def _source_detail(source) -> dict:
    """A Source as plain values, named as everywhere else (`short_label`), for a page to unfold."""
    return {
        "kind": source.kind,
        "label": source.label,
        "short_label": source.short_label,
        "citation": source.citation,
        "interview_number": source.interview_number,
        "year": source.year,
        "url": source.url,
    }


def _leading(rows: list[dict]) -> dict:
    """The coding that stands for one coder in one cell: highest salience (a rated one over
    an unrated one), then latest."""
    return max(rows, key=lambda row: (salience_rank(row["salience"]), row.get("coded_at") or "", row.get("id") or 0))


def coder_values(rows: Iterable[dict]) -> dict:
    """Index rows as {(city, network): {code: {coder: leading row}}}; see the module
    docstring for why one coding stands for a coder in a cell."""
    grouped: dict[tuple, dict[str, dict[str, list[dict]]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    for row in rows:
        grouped[(row["city"], row["network"])][row["code"]][row["coder"]].append(row)
    return {
        case: {code: {coder: _leading(found) for coder, found in by_coder.items()} for code, by_coder in codes.items()}
        for case, codes in grouped.items()
    }


def _case_key(case: tuple) -> tuple:
    city, network = case
    return (network, city is not None, city or "")


def reliability_table(rows: Iterable[dict], *, value: str = "salience", codes: Sequence[str] | None = None) -> dict:
    """The units x coders table of the cases coded by two or more coders.

    `value` is "salience" (the 0-3 category where the coder applied and rated the code, else None)
    or "presence" (True/False for whether the coder applied it; None if the coder did not
    code the case). `codes` fixes the columns of the codebook to look at, in order; by
    default the codes that occur, sorted. Returns {"coders": [names], "units": [{"city",
    "network", "code"}], "values": [[value for each coder] for each unit]}, units by
    network, city (the network as a whole first) and code; transpose `values` for
    `krippendorff_alpha`.
    """
    if value not in ("salience", "presence"):
        raise ValueError("value is 'salience' or 'presence'.")
    indexed = coder_values(rows)
    coders = sorted({coder for codes_ in indexed.values() for by_coder in codes_.values() for coder in by_coder})
    code_list = list(codes) if codes is not None else sorted({code for codes_ in indexed.values() for code in codes_})
    units, values = [], []
    for case in sorted(indexed, key=_case_key):
        by_code = indexed[case]
        case_coders = {coder for by_coder in by_code.values() for coder in by_coder}
        if len(case_coders) < 2:
            continue
        for code in code_list:
            applied = by_code.get(code, {})
            row = []
            for coder in coders:
                if coder not in case_coders:
                    row.append(None)
                elif value == "presence":
                    row.append(coder in applied)
                else:
                    row.append(applied[coder]["salience"] if coder in applied else None)
            units.append({"city": case[0], "network": case[1], "code": code})
            values.append(row)
    return {"coders": coders, "units": units, "values": values}


def _transpose(values: list[list]) -> list[list]:
    return [list(column) for column in zip(*values, strict=True)] if values else []


def _pair_values(table: dict, first: int, second: int) -> list[tuple]:
    return [(row[first], row[second]) for row in table["values"] if row[first] is not None and row[second] is not None]


def _left_out(presence: dict, salience: dict, coders: Sequence[int]) -> int:
    """Units where one of `coders` (positions) applied the code without rating it."""
    return sum(
        any(applied[coder] is True and rated[coder] is None for coder in coders)
        for applied, rated in zip(presence["values"], salience["values"], strict=True)
        if sum(applied[coder] is not None for coder in coders) >= 2
    )


def _figures(presence: dict, salience: dict) -> dict:
    """Alpha and, per pair of coders, kappa and raw agreement for one slice of units."""
    coders = presence["coders"]
    pairs = []
    for first, second in combinations(range(len(coders)), 2):
        presence_pairs = _pair_values(presence, first, second)
        salience_pairs = _pair_values(salience, first, second)
        if not presence_pairs:
            continue
        left_out = _left_out(presence, salience, (first, second))
        pairs.append(
            {
                "coders": [coders[first], coders[second]],
                "units": len(presence_pairs),
                "presence_agreement": percent_agreement(presence_pairs),
                "presence_kappa": cohen_kappa(presence_pairs),
                "salience_units": len(salience_pairs),
                "salience_left_out": left_out,
                "salience_agreement": percent_agreement(salience_pairs),
                "salience_kappa": cohen_kappa(salience_pairs, categories=sorted(SALIENCE_LABELS)),
            }
        )
    only_pair = pairs[0] if len(pairs) == 1 else None
    return {
        "units": sum(1 for row in presence["values"] if sum(value is not None for value in row) >= 2),
        "salience_left_out": _left_out(presence, salience, range(len(coders))),
        "presence_alpha": krippendorff_alpha(_transpose(presence["values"]), level="nominal"),
        "salience_alpha": krippendorff_alpha(
            _transpose(salience["values"]), level="ordinal", categories=sorted(SALIENCE_LABELS)
        ),
        # Kappa is a two-coder statistic: shown directly only when one pair coded these units.
        "presence_kappa": only_pair["presence_kappa"] if only_pair else None,
        "salience_kappa": only_pair["salience_kappa"] if only_pair else None,
        "pairs": pairs,
    }


def _slice(table: dict, code: str) -> dict:
    keep = [position for position, unit in enumerate(table["units"]) if unit["code"] == code]
    return {
        "coders": table["coders"],
        "units": [table["units"][position] for position in keep],
        "values": [table["values"][position] for position in keep],
    }


def agreement_summary(rows: Iterable[dict], *, codes: Sequence[str] | None = None) -> dict:
    """Agreement overall and per code among the codings in `rows`.

    Returns {"coders": [names], "cases": n cases coded by two or more coders, "overall":
    figures, "codes": [{"code", **figures}], "disagreements": disagreements(rows)}, where
    figures are {"units", "salience_left_out" (units with an applied coding not rated: out of
    the salience figures, still in the presence ones), "presence_alpha" (nominal),
    "salience_alpha" (ordinal), "presence_kappa", "salience_kappa" (None unless exactly one
    pair of coders), "pairs": [{"coders": [a, b], "units", "presence_agreement",
    "presence_kappa", "salience_units" (both rated), "salience_left_out", "salience_agreement",
    "salience_kappa"}]}. Statistics are None where undefined.
    """
    rows = list(rows)
    presence = reliability_table(rows, value="presence", codes=codes)
    salience = reliability_table(rows, value="salience", codes=codes)
    code_list = list(codes) if codes is not None else sorted({unit["code"] for unit in presence["units"]})
    cases = {(unit["city"], unit["network"]) for unit in presence["units"]}
    return {
        "coders": presence["coders"],
        "cases": len(cases),
        "overall": _figures(presence, salience),
        "codes": [{"code": code, **_figures(_slice(presence, code), _slice(salience, code))} for code in code_list],
        "disagreements": disagreements(rows, codes=code_list),
    }


# --- Disagreements and the matrix cell ------------------------------------------------


def _side(coder: str, row: dict | None) -> dict:
    if row is None:
        return {"coder": coder, "applied": False}
    return {
        "coder": coder,
        "applied": True,
        "id": row.get("id"),
        "salience": row["salience"],
        "salience_label": salience_label(row["salience"]),
        "outcome": row.get("outcome", ""),
        "perspective": row.get("perspective", ""),
        "note": row.get("note", ""),
        "evidence": row.get("evidence", []),
    }


def _disagreement_kind(sides: list[dict]) -> str | None:
    applied = [side for side in sides if side["applied"]]
    if len(applied) < len(sides):
        return "presence"
    if len({side["salience"] for side in applied}) > 1:
        return "salience"
    if len({side["outcome"] for side in applied}) > 1:
        return "outcome"
    return None


def disagreements(rows: Iterable[dict], *, codes: Sequence[str] | None = None) -> list[dict]:
    """Every unit where the coders of a case differ, with their codings side by side.

    Returns [{"city", "city_name", "network", "code", "kind" ("presence": applied by some
    coders only; "salience" (rated differently, or rated by some and not by others); or
    "outcome": same salience, different outcome), "sides":
    [{"coder", "applied", and where applied "id", "salience", "salience_label", "outcome",
    "perspective", "note", "evidence"}] one per coder of the case, by name}], by network,
    city and code (in `codes` order when given).
    """
    indexed = coder_values(rows)
    names = {(row["city"], row["network"]): row.get("city_name", "") for row in _flatten(indexed)}
    order = {code: position for position, code in enumerate(codes or [])}
    found = []
    for case in sorted(indexed, key=_case_key):
        by_code = indexed[case]
        case_coders = sorted({coder for by_coder in by_code.values() for coder in by_coder})
        if len(case_coders) < 2:
            continue
        for code in sorted(by_code, key=lambda code: (order.get(code, len(order)), code)):
            if codes is not None and code not in order:
                continue
            sides = [_side(coder, by_code[code].get(coder)) for coder in case_coders]
            kind = _disagreement_kind(sides)
            if kind:
                found.append(
                    {
                        "city": case[0],
                        "city_name": names.get(case, ""),
                        "network": case[1],
                        "code": code,
                        "kind": kind,
                        "sides": sides,
                    }
                )
    return found


def _flatten(indexed: dict) -> list[dict]:
    return [row for codes in indexed.values() for by_coder in codes.values() for row in by_coder.values()]


def classify_cell(codings: Sequence[dict], *, case_coders: Iterable[str] = ()) -> dict:
    """The agreement mark of one matrix cell, with the figures for its hover text.

    `codings` are the cell's codings as dicts with "coder", "salience" and "outcome" (a
    `summarise_cell` cell's "codings" will do); `case_coders` names every coder who coded
    the cell's city x network, so one who left this code out counts as a dissent. Returns
    {"status": "single" | "agreed" | "disputed", "coders": n, "values": [{"coder",
    "applied", "salience", "salience_label", "outcome"}] by coder, "salience_range": [low,
    high] of the rated values or None, "summary": one line for the hover}.
    """
    by_coder: dict[str, list[dict]] = defaultdict(list)
    for coding in codings:
        by_coder[coding["coder"]].append(coding)
    leading = {coder: _leading(found) for coder, found in by_coder.items()}
    everyone = sorted(set(leading) | set(case_coders))
    values = []
    for coder in everyone:
        row = leading.get(coder)
        values.append(
            {
                "coder": coder,
                "applied": row is not None,
                "salience": row["salience"] if row else None,
                "salience_label": salience_label(row["salience"]) if row else "",
                "outcome": row.get("outcome", "") if row else "",
            }
        )
    saliences = [value["salience"] for value in values if value["applied"] and value["salience"] is not None]
    salience_range = [min(saliences), max(saliences)] if saliences else None
    if len(everyone) < 2:
        status = "single"
        summary = f"Coded by {everyone[0]} only" if everyone else "Not coded"
    else:
        applied = [value for value in values if value["applied"]]
        same = (
            len(applied) == len(values)
            and len({value["salience"] for value in applied}) == 1
            and len({value["outcome"] for value in applied}) == 1
        )
        status = "agreed" if same else "disputed"
        if same:
            outcome = f", {applied[0]['outcome']}" if applied[0]["outcome"] else ""
            summary = f"{len(values)} coders agree: {applied[0]['salience_label']}{outcome}"
        else:
            parts = [
                f"{value['coder']}: {value['salience_label']}{', ' + value['outcome'] if value['outcome'] else ''}"
                if value["applied"]
                else f"{value['coder']}: not applied"
                for value in values
            ]
            summary = f"{len(values)} coders disagree — " + "; ".join(parts)
    return {
        "status": status,
        "coders": len(everyone),
        "values": values,
        "salience_range": salience_range,
        "summary": summary,
    }


def matrix_with_agreement(matrix: dict) -> dict:
    """`comparison_matrix` output with an "agreement" (`classify_cell`) in every coded cell.

    The coders of a row are everyone with a coding anywhere in that city x network row, so
    a coder who coded the row but not a code shows up as a dissent in that code's cell.
    Returns a new dict; the input is not changed (`add_agreement` marks a matrix in place).
    """
    rows = []
    for row in matrix["rows"]:
        marks = _row_marks(row["cells"])
        cells = {code: {**cell, "agreement": marks[code]} if cell else None for code, cell in row["cells"].items()}
        rows.append({**row, "cells": cells})
    return {**matrix, "rows": rows}


def add_agreement(matrix: dict) -> dict:
    """`matrix_with_agreement` in place, for a matrix built for the purpose (a network's has
    20,000 cells: none is copied). Returns `matrix`."""
    for row in matrix["rows"]:
        for code, mark in _row_marks(row["cells"]).items():
            row["cells"][code]["agreement"] = mark
    return matrix


def _row_marks(cells: dict) -> dict:
    """{code: `classify_cell` mark} for the coded cells of one matrix row."""
    row_coders = {coding["coder"] for cell in cells.values() if cell for coding in cell["codings"]}
    if len(row_coders) == 1:
        # One coder coded the whole row (most rows): every cell is theirs alone.
        (coder,) = row_coders
        return {code: _single_mark(coder, cell["codings"]) for code, cell in cells.items() if cell}
    return {code: classify_cell(cell["codings"], case_coders=row_coders) for code, cell in cells.items() if cell}


def _single_mark(coder: str, codings: Sequence[dict]) -> dict:
    """`classify_cell(codings)` where every coding, and every coding of the row, is `coder`'s."""
    row = codings[0] if len(codings) == 1 else _leading(codings)
    salience = row["salience"]
    return {
        "status": "single",
        "coders": 1,
        "values": [
            {
                "coder": coder,
                "applied": True,
                "salience": salience,
                "salience_label": salience_label(salience),
                "outcome": row.get("outcome", ""),
            }
        ],
        "salience_range": None if salience is None else [salience, salience],
        "summary": f"Coded by {coder} only",
    }

"""The quote table's rows and the agreement figures as pages and downloads show them."""

from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Iterator

from networks.salience import salience_label


def quote_rows(evidence: Iterable) -> Iterator[dict]:
    """Evidence items (from `Evidence.objects.for_quote_table(reader)`) as the quote table's
    rows, as the reader may see them: {"city", "city_slug", "country" (empty for a network as
    a whole), "network", "network_slug", "code", "code_name", "code_kind", "salience",
    "salience_label", "outcome", "perspective", "perspective_label", "coder", "kind" (quote or
    paraphrase), "visibility", "text" (empty for restricted evidence the reader may not see),
    "original_text", "language", "source" (the source's full citation), "source_label", "source_detail" (the Source, for
    the page to name it as everywhere else),
    "locator", "evidence_id", "coding_id"}. A generator, so a download can stream."""
    for item in evidence:
        coding = item.coding
        city = coding.city
        yield {
            "city": city.name if city else "",
            "city_slug": city.slug if city else "",
            "country": city.country if city else "",
            "network": coding.network.name,
            "network_slug": coding.network.slug,
            "code": coding.code.code,
            "code_name": coding.code.name,
            "code_kind": coding.code.kind,
            "salience": coding.salience,
            "salience_label": salience_label(coding.salience),
            "outcome": coding.outcome,
            "perspective": coding.perspective,
            "perspective_label": coding.get_perspective_display(),
            "coder": coding.coder.name,
            "kind": item.shown_kind,
            "visibility": item.visibility,
            "text": item.shown_text,
            "original_text": item.shown_original_text,
            "language": item.language,
            "source": item.source.citation,
            "source_label": str(item.source),
            "source_detail": item.source,
            "locator": item.shown_locator,
            "evidence_id": item.pk,
            "coding_id": coding.pk,
        }


def agreement_counts(grid: dict) -> dict:
    """How many coded cells of a `matrix_grid` built from `matrix_with_agreement` are
    marked each way: {"single": n, "agreed": n, "disputed": n}."""
    counts = {"single": 0, "agreed": 0, "disputed": 0}
    for row in grid["rows"]:
        for cell in row["cells"]:
            if cell["cell"] and "agreement" in cell["cell"]:
                counts[cell["cell"]["agreement"]["status"]] += 1
    return counts


# The columns of `agreement_flat_rows`, in the order downloads give them.
AGREEMENT_COLUMNS = [
    "code",
    "units",
    "presence_alpha",
    "salience_alpha",
    "presence_kappa",
    "salience_kappa",
    "salience_left_out",
    "disagreements",
]


def agreement_flat_rows(summary: dict) -> list[dict]:
    """An `agreement.agreement_summary` as one row per code, for CSV: {"code", "units",
    "presence_alpha", "salience_alpha", "presence_kappa", "salience_kappa" (None where
    undefined), "salience_left_out" (units with a coding not rated, left out of the salience
    figures), "disagreements" (units where the coders differ)}."""
    differing: dict[str, int] = defaultdict(int)
    for disagreement in summary["disagreements"]:
        differing[disagreement["code"]] += 1
    return [
        {
            "code": figures["code"],
            "units": figures["units"],
            "presence_alpha": figures["presence_alpha"],
            "salience_alpha": figures["salience_alpha"],
            "presence_kappa": figures["presence_kappa"],
            "salience_kappa": figures["salience_kappa"],
            "salience_left_out": figures["salience_left_out"],
            "disagreements": differing[figures["code"]],
        }
        for figures in summary["codes"]
    ]


def agreement_display(summary: dict, columns: list[dict], network_names: dict[str, str]) -> dict:
    """An `agreement.agreement_summary` with names to show: each of "codes" gains "name",
    each disagreement "code_name" and "network_name" (slugs stand in for unknown ones)."""
    code_names = {column["code"]: column["name"] for column in columns}
    return {
        **summary,
        "codes": [
            {**figures, "name": code_names.get(figures["code"], figures["code"])} for figures in summary["codes"]
        ],
        "disagreements": [
            {
                **item,
                "code_name": code_names.get(item["code"], item["code"]),
                "network_name": network_names.get(item["network"], item["network"]),
            }
            for item in summary["disagreements"]
        ],
    }

"""What a coding's salience (0 to 3, or not rated) means, in words, and how unrated codings count.

A module of its own, importing nothing, so that the models, the agreement statistics and the
charts (which stay free of the ORM) all share the one wording. A coding with no salience
(None) was coded, so the code applies, but nobody rated how strongly: it is never a 0, never
in a mean or a sum, and always said apart from both a 0 and a cell nobody coded.
"""

from collections.abc import Iterable

SALIENCE_LABELS = {0: "explicitly not important", 1: "minor", 2: "important", 3: "central"}
UNRATED_LABEL = "coded, not rated"
UNRATED_MARK = "○"


def salience_label(salience: int | None) -> str:
    """The words for a coding's salience: UNRATED_LABEL for None."""
    return UNRATED_LABEL if salience is None else SALIENCE_LABELS.get(salience, "")


def salience_rank(salience: int | None) -> int:
    """A sort key: any rated salience (even 0) ranks above an unrated one."""
    return -1 if salience is None else salience


def highest(values: Iterable[int | None]) -> int | None:
    """The highest rated salience among `values`, or None when none is rated."""
    return max((value for value in values if value is not None), default=None)


def rated_mean(values: Iterable[int | None]) -> tuple[float | None, int]:
    """(mean over the rated values rounded to 2 places, or None when none is rated; how many
    were unrated and so left out of it)."""
    values = list(values)
    rated = [value for value in values if value is not None]
    mean = round(sum(rated) / len(rated), 2) if rated else None
    return mean, len(values) - len(rated)

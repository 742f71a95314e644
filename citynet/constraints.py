"""Database constraints both apps write the same way."""

from django.db import models
from django.db.models import Q


def one_of(
    field: str, choices: type[models.Choices], *, name: str, message: str, blank: bool = False
) -> models.CheckConstraint:
    """A check that `field` holds one of `choices`' values (or is empty, with `blank`): the
    database's copy of the field's choices, derived from them so the two cannot drift apart."""
    values = ["", *choices.values] if blank else choices.values
    return models.CheckConstraint(condition=Q(**{f"{field}__in": values}), name=name, violation_error_message=message)

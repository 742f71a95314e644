"""Merging a duplicate place into the place that stays (issue 13: duplicates already held).

Everything that points at the merged place moves to the surviving one: memberships,
codings (their evidence with them), participations, engagement observations, the
networks' head and regional offices, remembered import decisions, earlier merges'
redirects, the history of all these and the place's admin history. The relations are
read from `City._meta`, so a model that comes to point at a place is moved too
(tests/cities/test_merge.py lists them, to be told of a new one).

A move that would leave the surviving place with two rows that a unique rule allows
only once (two spells of a network starting the same day, two codings of one cell by
one coder, ...), or with two spells of one network that overlap in time, is a conflict.
A merge with conflicts is refused whole and lists them all; the editor settles them
(edits or deletes one row of each pair) and merges again. The merged place's slug then
answers with a permanent redirect (`cities.models.PlaceRedirect`), which also records
the merge; with a user, the admin history of both places says what happened.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from django.contrib.admin.models import CHANGE
from django.contrib.admin.models import DELETION
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db import transaction
from django.db.models import ManyToOneRel
from django.db.models import Q

from cities.models import PLACE_DATA_FIELDS
from cities.models import City
from cities.models import PlaceRedirect
from networks.models import Membership

# simple-history's change reason holds 100 characters.
REASON_LENGTH = 100


@dataclass(frozen=True)
class Conflict:
    """Two rows that may not both belong to the surviving place: `merged` (now the merged
    place's) and `kept` (the surviving place's)."""

    kind: str
    merged: models.Model
    kept: models.Model
    reason: str


@dataclass
class MergePlan:
    """What merging `merged` into `survivor` does: rows moved by kind (`moves`, e.g.
    {"memberships": 3}), the survivor's empty fields the merged place fills (`filled`),
    and the `conflicts` that refuse it."""

    merged: City
    survivor: City
    moves: dict[str, int] = dataclass_field(default_factory=dict)
    filled: dict[str, object] = dataclass_field(default_factory=dict)
    conflicts: list[Conflict] = dataclass_field(default_factory=list)

    @property
    def summary(self) -> str:
        """'3 memberships, 2 codings' (or 'nothing')."""
        return ", ".join(f"{count} {kind}" for kind, count in self.moves.items()) or "nothing"


class MergeRefused(Exception):
    """The merge would break a rule; nothing was written. `plan.conflicts` says why."""

    def __init__(self, plan: MergePlan):
        self.plan = plan
        super().__init__(f"{len(plan.conflicts)} conflicts: " + "; ".join(c.reason for c in plan.conflicts))


def place_relations() -> list[models.ForeignKey]:
    """Every foreign key to City, of any app: history tables and the tables of
    many-to-many fields included."""
    return [rel.field for rel in City._meta.get_fields(include_hidden=True) if isinstance(rel, ManyToOneRel)]


def relation_label(field: models.ForeignKey, count: int = 2) -> str:
    """What the merge page calls `count` rows of one relation: 'memberships', 'history
    entries of codings', 'networks (head office)', 'regional offices of networks'."""
    model = field.model

    def name(opts) -> str:
        return str(opts.verbose_name if count == 1 else opts.verbose_name_plural)

    tracked = getattr(model, "instance_type", None)  # simple-history's historical model of `tracked`
    if tracked is not None:
        return f"{'history entry' if count == 1 else 'history entries'} of {tracked._meta.verbose_name_plural}"
    if model._meta.auto_created:
        many = next(f for f in model._meta.auto_created._meta.many_to_many if f.remote_field.through is model)
        office = many.verbose_name.removesuffix("s") if count == 1 else many.verbose_name
        return f"{office} of {many.model._meta.verbose_name_plural}"
    if field.name == "city":
        return name(model._meta)
    return f"{name(model._meta)} ({field.verbose_name})"


def merge_plan(*, merged: City, survivor: City) -> MergePlan:
    """What `merge_places` would do, without writing: moves, filled fields and conflicts."""
    if merged.pk == survivor.pk:
        raise ValueError("A place cannot be merged into itself.")
    plan = MergePlan(merged=merged, survivor=survivor)
    # The rows themselves first, then their history.
    relations = sorted(place_relations(), key=lambda field: hasattr(field.model, "instance_type"))
    for field in relations:
        count = field.model._base_manager.filter(**{field.name: merged}).count()
        if count:
            plan.moves[relation_label(field, count)] = count
        if count and not field.model._meta.auto_created:
            plan.conflicts += unique_conflicts(field, merged, survivor)
    plan.conflicts += overlapping_spells(merged, survivor)
    pairs: dict[tuple, Conflict] = {}
    for conflict in plan.conflicts:
        pairs.setdefault((type(conflict.merged), conflict.merged.pk, conflict.kept.pk), conflict)
    plan.conflicts = list(pairs.values())
    city_type = ContentType.objects.get_for_model(City)
    admin_history = LogEntry.objects.filter(content_type=city_type, object_id=str(merged.pk))
    if count := admin_history.count():
        plan.moves["admin history entry" if count == 1 else "admin history entries"] = count
    plan.filled = filled_fields(merged, survivor)
    return plan


def unique_rules(model: type[models.Model], name: str) -> list[tuple[list[str], Q | None, str]]:
    """The model's unique rules that include field `name`: (fields, condition, message)."""
    rules = [
        (list(c.fields), c.condition, c.get_violation_error_message())
        for c in model._meta.constraints
        if isinstance(c, models.UniqueConstraint) and name in c.fields
    ]
    rules += [(list(fields), None, "") for fields in model._meta.unique_together if name in fields]
    if model._meta.get_field(name).unique:
        rules.append(([name], None, ""))
    return rules


def unique_conflicts(field: models.ForeignKey, merged: City, survivor: City) -> list[Conflict]:
    """Rows of the merged place that would share a unique rule's values with a row of the
    surviving place. Unlike the database, an unknown value counts as equal to an unknown
    one: two participations of one unit with no start date are one participation twice."""
    model, found = field.model, []
    for fields, condition, message in unique_rules(model, field.name):
        others = [model._meta.get_field(name).attname for name in fields if name != field.name]
        rows = model._base_manager.filter(condition) if condition is not None else model._base_manager.all()
        kept = {}
        for row in rows.filter(**{field.name: survivor}).order_by("pk"):
            kept.setdefault(tuple(getattr(row, name) for name in others), row)
        for row in rows.filter(**{field.name: merged}).order_by("pk"):
            twin = kept.get(tuple(getattr(row, name) for name in others))
            if twin is not None:
                reason = message.replace("This place", "The surviving place") or "Both places have this row."
                found.append(Conflict(str(model._meta.verbose_name), row, twin, reason))
    return found


def overlapping_spells(merged: City, survivor: City) -> list[Conflict]:
    """Spells of one network, one of each place, whose periods overlap (an unknown start
    or end counts as open): after the merge, the place would be a member twice at once."""
    kept = list(Membership.objects.filter(city=survivor).order_by("joined", "pk"))
    found = []
    for spell in Membership.objects.filter(city=merged).order_by("joined", "pk"):
        for other in kept:
            if other.network_id == spell.network_id and periods_overlap(spell, other):
                found.append(Conflict("membership", spell, other, "Both places were members of this network then."))
    return found


def periods_overlap(a: Membership, b: Membership) -> bool:
    low, high = datetime.date.min, datetime.date.max
    return (a.joined or low) <= (b.left or high) and (b.joined or low) <= (a.left or high)


def filled_fields(merged: City, survivor: City) -> dict[str, object]:
    """The survivor's empty place data that the merged place has (a point comes whole)."""
    filled = {}
    for name in PLACE_DATA_FIELDS:
        if name in ("latitude", "longitude"):
            continue
        if getattr(survivor, name) in (None, "") and getattr(merged, name) not in (None, ""):
            filled[name] = getattr(merged, name)
    if not survivor.has_coordinates and merged.has_coordinates:
        filled.update(latitude=merged.latitude, longitude=merged.longitude)
    if survivor.kind == City.Kind.CITY and "geonames_id" in filled:
        # Deleting the merged place frees its GeoNames id; no other city may hold it meanwhile.
        taken = City.objects.filter(kind=City.Kind.CITY, geonames_id=filled["geonames_id"])
        if taken.exclude(pk__in=[merged.pk, survivor.pk]).exists():
            del filled["geonames_id"]
    return filled


@transaction.atomic
def merge_places(*, merged: City, survivor: City, user=None) -> MergePlan:
    """Merge `merged` into `survivor` in one transaction: move every row that points at it,
    fill the survivor's empty place data from it, delete it, and leave a redirect from its
    slug. Raises MergeRefused (writing nothing) when the plan has conflicts. Returns the plan."""
    # Claim both rows, so no one edits or merges either place meanwhile.
    places = {place.pk: place for place in City.objects.select_for_update().filter(pk__in=[merged.pk, survivor.pk])}
    merged, survivor = places[merged.pk], places[survivor.pk]
    plan = merge_plan(merged=merged, survivor=survivor)
    if plan.conflicts:
        raise MergeRefused(plan)
    reason = f"Place merged: {merged} (id {merged.pk}) into {survivor} (id {survivor.pk})"[:REASON_LENGTH]
    for field in place_relations():
        move_rows(field, merged, survivor, reason, user)
    city_type = ContentType.objects.get_for_model(City)
    LogEntry.objects.filter(content_type=city_type, object_id=str(merged.pk)).update(object_id=str(survivor.pk))
    PlaceRedirect.objects.update_or_create(
        old_slug=merged.slug,
        defaults={
            "city": survivor,
            "old_id": merged.pk,
            "old_name": merged.name,
            "old_country": merged.country,
            "merged_by": user.get_username() if user is not None else "",
            "moved": plan.summary,
        },
    )
    if user is not None:
        LogEntry.objects.log_actions(user.pk, [merged], DELETION, f"Merged into {survivor} (id {survivor.pk}).")
    merged_id = merged.pk
    merged.delete()
    for name, value in plan.filled.items():
        setattr(survivor, name, value)
    survivor.save()
    if user is not None:
        filled = f"; filled in {', '.join(plan.filled)}" if plan.filled else ""
        message = f"Merged {merged} (id {merged_id}, /{merged.slug}/) into this place: moved {plan.summary}{filled}."
        LogEntry.objects.log_actions(user.pk, [survivor], CHANGE, message, single_object=True)
    return plan


def move_rows(field: models.ForeignKey, merged: City, survivor: City, reason: str, user) -> None:
    """Point the rows of one relation at the survivor. A many-to-many link the survivor
    already has is dropped rather than doubled; rows with history get a history entry."""
    model = field.model
    rows = model._base_manager.filter(**{field.name: merged})
    if model._meta.auto_created:
        other = next(f for f in model._meta.fields if f.is_relation and f is not field)
        held = model._base_manager.filter(**{field.name: survivor}).values(other.attname)
        rows.filter(**{f"{other.attname}__in": held}).delete()
        rows.update(**{field.name: survivor})
    elif hasattr(model._meta, "simple_history_manager_attribute"):
        for row in rows:
            setattr(row, field.name, survivor)
            row._change_reason = reason
            if user is not None:
                row._history_user = user
            row.save()
    else:
        rows.update(**{field.name: survivor})

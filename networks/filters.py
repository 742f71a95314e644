"""Query-parameter filters for the API lists (and their facets and CSV exports).

Every filter is a plain query parameter, so a filtered list is a permalink. Parameters
that take several values accept them repeated (`?network=a&network=b`) or comma
separated (`?network=a,b`); several values of one parameter are alternatives (OR),
different parameters must all hold (AND). A well-formed value that matches nothing gives
an empty list; a malformed one (`?member_on=notadate`, `?current=maybe`) gives 400 with the
parameter's errors, and so does a parameter no filter reads (`?netwrok=`; networks.api.base).
"""

import copy
import functools
import re

import django_filters as filters
from django import forms
from django.db.models import QuerySet
from django.http import QueryDict
from drf_spectacular.utils import extend_schema_field

from cities.models import City
from citynet.versioned import PerDataVersion
from networks.models import Code
from networks.models import Coding
from networks.models import EngagementObservation
from networks.models import Evidence
from networks.models import Membership
from networks.models import Network
from networks.models import Participation
from networks.models import Source
from networks.models import SubNetwork

MAX_VALUES = 100
MAX_VALUE_LENGTH = 200
PATTERNS = {
    "string": re.compile(rf"^[^\x00]{{1,{MAX_VALUE_LENGTH}}}$"),
    "integer": re.compile(r"^[0-9]{1,9}$"),
}
MAX_INTEGER = 999_999_999  # nine digits, as PATTERNS["integer"] reads them
# What the schema says of one value (networks.api.schema adds `maxItems` to the list).
# An empty value is no value (a form submits its empty fields), so the schema allows it.
EMPTY = {"type": "string", "maxLength": 0}
VALUE_SCHEMAS = {
    "string": {"type": "string", "maxLength": MAX_VALUE_LENGTH, "pattern": "^[^\\x00]*$"},
    "integer": {"type": "integer", "minimum": 0, "maximum": MAX_INTEGER},
}
FROM_ONE = {"minimum": 1}  # schema bounds of ids and rounds
YEAR = {"minimum": 1, "maximum": 9999}


def distinct_values(sent: list[str]) -> list[str]:
    """The values of a filter as sent (every part, empty ones and repeats included): at most
    MAX_VALUES of them, as the schema's `maxItems` counts; empty ones are no value, repeats one."""
    if len(sent) > MAX_VALUES:
        raise forms.ValidationError("Give at most %(limit)d values.", code="max_values", params={"limit": MAX_VALUES})
    return sorted({item for item in sent if item})


class ValuesWidget(filters.widgets.QueryArrayWidget):
    """Repeated parameters and comma-separated values both give a list of values: every part as
    given (empty ones and repeats included, so the field can count what was sent)."""

    def value_from_datadict(self, data, files, name):
        values = data.getlist(name) if hasattr(data, "getlist") else ([data[name]] if name in data else [])
        return [part.strip() for value in values for part in str(value).split(",")]


class ValuesField(forms.MultipleChoiceField):
    """Any values of a given shape (not a fixed set of choices): unknown ones match nothing.
    At most MAX_VALUES values are sent (repeats and empty ones count, as the schema's `maxItems`
    does); empty ones are no value, repeats one."""

    widget = ValuesWidget

    def __init__(self, *args, value_type: str = "string", transform=None, bounds: dict | None = None, **kwargs):
        self.value_type = value_type
        self.transform = transform
        self.bounds = bounds or {}
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        values = distinct_values(super().to_python(value))
        return [self.transform(item) for item in values] if self.transform else values

    def validate(self, value):
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        for item in value:
            if not PATTERNS[self.value_type].match(str(item)) or not self.within_bounds(item):
                raise forms.ValidationError(
                    "%(value)r is not a valid %(type)s value.",
                    code="invalid_value",
                    params={"value": str(item)[:50], "type": self.value_type},
                )

    def within_bounds(self, item) -> bool:
        if self.value_type != "integer":
            return True
        number = int(item)
        return self.bounds.get("minimum", 0) <= number <= self.bounds.get("maximum", MAX_INTEGER)

    def valid_value(self, value):
        return True


class ValuesFilter(filters.MultipleChoiceFilter):
    """Rows whose `field_name` is any of the given values (a slug, code, country, id...)."""

    field_class = ValuesField

    # Schema hint: the list takes at most MAX_VALUES values (networks.api.schema).
    array_schema = {"maxItems": MAX_VALUES}

    def __init__(self, *args, value_type: str = "string", help_text: str = "", bounds: dict | None = None, **kwargs):
        kwargs.setdefault("distinct", False)
        super().__init__(*args, value_type=value_type, help_text=help_text, bounds=bounds, **kwargs)
        value_schema = {**VALUE_SCHEMAS[value_type], **(bounds or {})}
        if value_type != "string":
            value_schema = {"oneOf": [value_schema, EMPTY]}
        extend_schema_field({**value_schema, "description": help_text})(self)

    def filter(self, qs, value):
        if not value:
            return qs
        for relation, model in BY_SLUG.items():
            if self.field_name == f"{relation}__slug" or self.field_name.endswith(f"__{relation}__slug"):
                ids = slug_ids(model, value, self.parent.request)
                return qs.filter(**{f"{self.field_name.removesuffix('__slug')}__in": ids})
        return qs.filter(**{f"{self.field_name}__in": value})


BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


class StrictBooleanWidget(filters.widgets.BooleanWidget):
    """The value as given, so the field can tell a malformed one from none; shown as a yes/no select."""

    def value_from_datadict(self, data, files, name):
        return data.get(name)

    def render(self, name, value, attrs=None, renderer=None):
        if isinstance(value, str):
            value = BOOLEANS.get(value.strip().lower(), value)
        return super().render(name, value, attrs, renderer=renderer)


class StrictBooleanField(forms.NullBooleanField):
    """`true` or `false` (any case; or 1/0, yes/no); empty is no value; anything else is an error,
    not silently no filter (django's NullBooleanField reads `maybe` as None)."""

    widget = StrictBooleanWidget
    default_error_messages = {"invalid": "Use true or false (or 1 or 0, yes or no)."}

    def to_python(self, value):
        if value is None or isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if not text:
            return None
        if text not in BOOLEANS:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return BOOLEANS[text]


class StrictBooleanFilter(filters.BooleanFilter):
    """A boolean parameter (the schema's type stays boolean) that refuses anything but a boolean."""

    field_class = StrictBooleanField


SLUG_IDS = PerDataVersion()


def slug_ids(model, slugs: list[str], request=None) -> list[int]:
    """The ids of the networks (or places) with these slugs. Filtering on ids rather than
    joining on the slug lets the database plan for the real size: a network with 10,000
    members is best listed by walking the places in name order, one with ten by sorting them;
    a place's codings walked by id come from its own index entries. Looked up once per data
    version of `request` (citynet.versioned): a walk through a list's pages asks on its first
    page only."""
    return SLUG_IDS.get(
        request,
        (model, tuple(sorted(slugs))),
        lambda: list(model._default_manager.filter(slug__in=slugs).values_list("pk", flat=True)),
    )


def network_ids(slugs: list[str], request=None) -> list[int]:
    return slug_ids(Network, slugs, request)


# Relations a ValuesFilter on `<relation>__slug` filters by id (`slug_ids`).
BY_SLUG = {"network": Network, "city": City}


def values_filter(field_name: str, help_text: str, **kwargs) -> ValuesFilter:
    return ValuesFilter(field_name=field_name, help_text=help_text, **kwargs)


class ChoicesField(forms.MultipleChoiceField):
    """Values of a fixed set, sent as ValuesField's are: at most MAX_VALUES (repeats and empty
    ones count), empty ones are no value, repeats one."""

    widget = ValuesWidget

    def to_python(self, value):
        return distinct_values(super().to_python(value))


class ChoicesFilter(filters.MultipleChoiceFilter):
    field_class = ChoicesField
    array_schema = {"maxItems": MAX_VALUES}


def choices_filter(field_name: str, choices, help_text: str) -> filters.MultipleChoiceFilter:
    return ChoicesFilter(field_name=field_name, choices=choices, distinct=False, help_text=help_text)


class WholeNumberField(forms.IntegerField):
    """A whole number as written (`2`), not `2.0` nor `0.5` (Django's IntegerField drops a
    decimal part of zeros; DecimalField, django-filter's default, takes any number)."""

    def to_python(self, value):
        if isinstance(value, str) and value.strip() and not re.fullmatch(r"-?[0-9]{1,9}", value.strip()):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class WholeNumberFilter(filters.NumberFilter):
    field_class = WholeNumberField


def whole_number(field_name: str, lookup_expr: str, help_text: str, **bounds) -> filters.NumberFilter:
    number = WholeNumberFilter(field_name=field_name, lookup_expr=lookup_expr, help_text=help_text, **bounds)
    schema = {"type": "integer", "minimum": bounds.get("min_value"), "maximum": bounds.get("max_value")}
    schema = {key: value for key, value in schema.items() if value is not None}
    return extend_schema_field({**schema, "description": help_text})(number)


def upper(value: str) -> str:
    return value.upper()


NETWORK_HELP = "Network slug, e.g. `eurocities`."
CITY_HELP = "Member place slug, e.g. `oslo`."
COUNTRY_HELP = "Two-letter ISO 3166-1 country code of the place, e.g. `NO` (any case)."
SOURCE_HELP = "Source id (see /api/v1/sources/)."
ORDERING_NAMES = {"city__country": "country"}
SEARCH_NOTE = "Several values are alternatives; repeat the parameter or separate values with commas."


def _shared(field, memo):
    """A field's `__deepcopy__` that gives the field itself (ApiFilterSet.form_class)."""
    return field


class ApiFilterSet(filters.FilterSet):
    """Adds the primary key as the last sort key, so pages never overlap or skip a row; copies
    its filters shallowly (django-filter deep-copies every filter, with its choices and
    widgets, on every request: 2-4 ms a page; a filter keeps no state of a request but its
    `model`, `parent` and the form field it builds, each set on the copy)."""

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        # django-filter's BaseFilterSet.__init__ (2.x-25.x), with copy.copy for copy.deepcopy.
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {name: copy.copy(filter_) for name, filter_ in self.base_filters.items()}
        for filter_ in self.filters.values():
            filter_.model = queryset.model
            filter_.parent = self
            if filter_.method is not None:
                filter_.method = filter_.method  # a FilterMethod bound to the copy, not the original

    @classmethod
    def form_class(cls) -> type[forms.Form]:
        """The form class of this filter set, built once (django-filter builds a class, with a
        form field per filter, on every request: ~2 ms a page). Safe because no filter here
        builds its field from the request (no ModelChoiceFilter with a callable queryset)."""
        if "_form_class" not in cls.__dict__:
            blank = cls(queryset=cls._meta.model._default_manager.none())
            cls._form_class = filters.FilterSet.get_form_class(blank)
            for field in cls._form_class.base_fields.values():
                # Each form would deep-copy every field (Form.__init__), for forms that change
                # their fields per instance; these forms only validate the query string with
                # them, which reads a field and never changes it: ~0.3 ms of every list page.
                field.__deepcopy__ = functools.partial(_shared, field)
        return cls._form_class

    def get_form_class(self):
        return self.form_class()

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        ordering = list(queryset.query.order_by or queryset.model._meta.ordering)
        if "pk" not in ordering and "id" not in ordering:
            queryset = queryset.order_by(*ordering, "pk")
        return queryset


def order_by_filter(*fields: str) -> filters.OrderingFilter:
    """`?ordering=a,-b`: fields named as the API names them (`network` sorts by network name)."""
    names = [(field, ORDERING_NAMES.get(field, field.replace("__name", "").replace("__", "_"))) for field in fields]
    return filters.OrderingFilter(
        fields=names, help_text="Sort order, comma separated; prefix a field with `-` to reverse it."
    )


class CityFilter(ApiFilterSet):
    country = values_filter("country", COUNTRY_HELP, transform=upper)
    kind = choices_filter("kind", City.Kind.choices, "Kind of member place.")
    network = values_filter("network", "Places with a membership spell in this network. " + NETWORK_HELP, method="noop")
    member_on = filters.DateFilter(
        method="noop",
        help_text="Places that were members on this date (YYYY-MM-DD); with `network`, members of that network.",
    )
    membership_type = choices_filter("membership_type", Membership.Type.choices, "Places with a spell of this type.")
    membership_type.method = "noop"
    round = values_filter(
        "round", "Places admitted in this application round.", value_type="integer", method="noop", bounds=FROM_ONE
    )
    geonames_id = values_filter("geonames_id", "GeoNames id of the place.", value_type="integer", bounds=FROM_ONE)
    ordering = order_by_filter("name", "country", "population", "n_memberships")

    class Meta:
        model = City
        fields: list[str] = []

    def noop(self, queryset: QuerySet, name: str, value) -> QuerySet:
        # The membership filters act together in filter_queryset, on one spell.
        return queryset

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        if not any(data.get(name) for name in ("network", "member_on", "membership_type", "round")):
            return queryset
        spells = Membership.objects.all()
        if data.get("network"):
            spells = spells.filter(network__in=network_ids(data["network"], self.request))
        if data.get("member_on"):
            spells = spells.member_on(data["member_on"])
        if data.get("membership_type"):
            spells = spells.filter(type__in=data["membership_type"])
        if data.get("round"):
            spells = spells.filter(application_round__in=data["round"])
        return queryset.filter(pk__in=spells.values("city"))


class NetworkFilter(ApiFilterSet):
    scope = choices_filter("scope", Network.Scope.choices, "Geographic scope.")
    focus = choices_filter("focus", Network.Focus.choices, "General portfolio or specialised.")
    region = values_filter("region", "Region of a regional network, e.g. `Europe`.")
    theme = values_filter("theme", "Theme slug.", method="filter_theme")
    politically_led = StrictBooleanFilter(help_text="Led by elected politicians of member cities.")
    ordering = order_by_filter("name", "founded", "n_members", "n_codings")

    class Meta:
        model = Network
        fields: list[str] = []

    def filter_theme(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        return queryset.filter(pk__in=Network.themes.through.objects.filter(theme__slug__in=value).values("network"))


class MembershipFilter(ApiFilterSet):
    network = values_filter("network__slug", NETWORK_HELP)
    city = values_filter("city__slug", CITY_HELP)
    country = values_filter("city__country", COUNTRY_HELP, transform=upper)
    city_kind = choices_filter("city__kind", City.Kind.choices, "Kind of member place.")
    type = choices_filter("type", Membership.Type.choices, "Membership type.")
    round = values_filter(
        "application_round", "Application round (e.g. 100RC's rounds 1-3).", value_type="integer", bounds=FROM_ONE
    )
    joined = filters.DateFromToRangeFilter(
        help_text="Spells that started on or after `joined_after` and on or before `joined_before` (YYYY-MM-DD)."
    )
    left = filters.DateFromToRangeFilter(
        help_text="Spells that ended on or after `left_after` and on or before `left_before` (YYYY-MM-DD)."
    )
    member_on = filters.DateFilter(
        method="filter_member_on",
        help_text="Spells that took effect and cover this date (YYYY-MM-DD); an unknown start or end counts as open.",
    )
    current = StrictBooleanFilter(
        method="filter_current", help_text="`true`: spells that took effect and have not ended."
    )
    took_effect = StrictBooleanFilter(help_text="`false`: places selected or admitted whose membership never started.")
    source = values_filter("source_id", SOURCE_HELP, value_type="integer", bounds=FROM_ONE)
    ordering = order_by_filter(
        "network__name", "city__name", "city__country", "joined", "left", "application_round", "type"
    )

    class Meta:
        model = Membership
        fields: list[str] = []

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        if len(self.form.cleaned_data.get("network") or []) == 1 and not self.form.cleaned_data.get("ordering"):
            # Within one network its name sorts nothing; without it the database can walk the
            # places in name order and stop at the end of the page instead of sorting them all.
            queryset = queryset.order_by("city__name", "joined", "pk")
        return queryset

    def filter_member_on(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.member_on(value)

    def filter_current(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        current = Membership.objects.current().values("pk")
        return queryset.filter(pk__in=current) if value else queryset.exclude(pk__in=current)


class SubNetworkFilter(ApiFilterSet):
    network = values_filter("network__slug", NETWORK_HELP)
    slug = values_filter("slug", "Sub-network slug (unique within its network).")
    kind = choices_filter("kind", SubNetwork.Kind.choices, "Kind of sub-network.")
    parent = values_filter("parent_id", "Id of the parent sub-network.", value_type="integer", bounds=FROM_ONE)
    permanent = StrictBooleanFilter(help_text="Permanent (`true`) or temporary (`false`).")
    ordering = order_by_filter("network__name", "kind", "name")

    class Meta:
        model = SubNetwork
        fields: list[str] = []


class ParticipationFilter(ApiFilterSet):
    network = values_filter("network__slug", NETWORK_HELP)
    city = values_filter("city__slug", CITY_HELP)
    country = values_filter("city__country", COUNTRY_HELP, transform=upper)
    subnetwork = values_filter("subnetwork__slug", "Sub-network slug; combine with `network` to pick one network's.")
    unit_kind = choices_filter("unit_kind", Participation.UnitKind.choices, "Kind of municipal unit.")
    involvement = choices_filter("involvement", Participation.Involvement.choices, "How much the unit takes part.")
    source = values_filter("source_id", SOURCE_HELP, value_type="integer", bounds=FROM_ONE)
    ordering = order_by_filter("network__name", "city__name", "subnetwork__name", "unit", "since")

    class Meta:
        model = Participation
        fields: list[str] = []


class CodeFilter(ApiFilterSet):
    kind = choices_filter("kind", Code.Kind.choices, "A network function or a logic of participation.")
    version = values_filter("version__label", "Codebook version label.")
    current = StrictBooleanFilter(
        field_name="version__is_current", help_text="`true`: codes of the current codebook version only."
    )
    ordering = order_by_filter("kind", "position", "code")

    class Meta:
        model = Code
        fields: list[str] = []


class SourceFilter(ApiFilterSet):
    kind = choices_filter("kind", Source.Kind.choices, "Kind of source.")
    year = values_filter("year", "Year of the source.", value_type="integer", bounds=YEAR)
    part_of = values_filter(
        "part_of_id", "Id of the study an interview is reported in.", value_type="integer", bounds=FROM_ONE
    )
    ordering = order_by_filter("kind", "year", "label", "interview_number")

    class Meta:
        model = Source
        fields: list[str] = []


def coding_filters(path: str, network_as_whole_help: str) -> type[ApiFilterSet]:
    """The filters by what a coding says (its network, place, code, salience, outcome,
    perspective and coder), for a list of codings (`path` "") or of their evidence
    (`path` "coding__")."""

    class CodingFilters(ApiFilterSet):
        network = values_filter(f"{path}network__slug", NETWORK_HELP)
        city = values_filter(f"{path}city__slug", CITY_HELP)
        country = values_filter(f"{path}city__country", COUNTRY_HELP, transform=upper)
        network_as_whole = StrictBooleanFilter(
            field_name=f"{path}city",
            lookup_expr="isnull",
            help_text=network_as_whole_help,
        )
        code = values_filter(f"{path}code__code", "Code, e.g. `knowledge` or `appropriateness`.")
        code_kind = choices_filter(
            f"{path}code__kind", Code.Kind.choices, "Network function or logic of participation."
        )
        salience_min = whole_number(
            f"{path}salience",
            "gte",
            "Salience at least this (0-3); unrated codings never match.",
            min_value=0,
            max_value=3,
        )
        salience_max = whole_number(
            f"{path}salience",
            "lte",
            "Salience at most this (0-3); unrated codings never match.",
            min_value=0,
            max_value=3,
        )
        outcome = choices_filter(f"{path}outcome", Coding.Outcome.choices, "Whether the city says it gets it.")
        perspective = choices_filter(f"{path}perspective", Coding.Perspective.choices, "Whose view the coding records.")
        coder = values_filter(f"{path}coder__name", "Coder name.")

    return CodingFilters


class CodingFilter(
    coding_filters(
        "", "`true`: only codings of what a network as a whole offers; `false`: only codings of cities' use."
    )
):
    source = values_filter(
        "source",
        "Codings with evidence from this source (id). " + SOURCE_HELP,
        value_type="integer",
        method="filter_evidence",
        bounds=FROM_ONE,
    )
    evidence_kind = choices_filter("evidence_kind", Evidence.Kind.choices, "Codings with evidence of this kind.")
    evidence_kind.method = "filter_evidence"
    ordering = order_by_filter("city__name", "network__name", "code__kind", "code__position", "salience", "coded_at")

    class Meta:
        model = Coding
        fields: list[str] = []

    def filter_evidence(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        # The kind as the reader is shown it: paraphrase-only evidence is a paraphrase to the public.
        lookup = {"source": "source_id__in", "evidence_kind": "shown_kind__in"}[name]
        reader = self.request.user if self.request is not None else None
        return queryset.filter(pk__in=Evidence.objects.for_reader(reader).filter(**{lookup: value}).values("coding"))


class EvidenceFilter(
    coding_filters(
        "coding__", "`true`: only evidence for what a network as a whole offers; `false`: only for cities' use."
    )
):
    """The quote table's filters (/quotes/ and /api/v1/evidence/): the codings' filters
    applied to each item's coding, plus the item's own kind and source. The kind and the
    locator are those the reader is shown (`Evidence.objects.for_quote_table(reader)`)."""

    kind = choices_filter("shown_kind", Evidence.Kind.choices, "Quote or paraphrase.")
    visibility = choices_filter(
        "visibility", Evidence.Visibility.choices, "Public quote, paraphrase only or restricted."
    )
    source = values_filter("source_id", SOURCE_HELP, value_type="integer", bounds=FROM_ONE)
    language = values_filter("language", "Language of the original text, e.g. `da`.")
    ordering = filters.OrderingFilter(
        fields=[
            ("coding__network__name", "network"),
            ("coding__city__name", "city"),
            ("coding__code__position", "code"),
            ("coding__salience", "salience"),
            ("shown_locator", "locator"),
        ],
        help_text="Sort order, comma separated; prefix a field with `-` to reverse it.",
    )

    class Meta:
        model = Evidence
        fields: list[str] = []


class EngagementObservationFilter(ApiFilterSet):
    network = values_filter("network__slug", NETWORK_HELP)
    city = values_filter("city__slug", CITY_HELP)
    country = values_filter("city__country", COUNTRY_HELP, transform=upper)
    level = choices_filter("level", EngagementObservation.Level.choices, "Engagement level, 0 (none) to 3 (high).")
    observed = filters.DateFromToRangeFilter(
        field_name="observed_on",
        help_text="Observed on or after `observed_after` and on or before `observed_before` (YYYY-MM-DD).",
    )
    is_peak = StrictBooleanFilter(help_text="`true`: observations the source calls the peak.")
    source = values_filter("source_id", SOURCE_HELP, value_type="integer", bounds=FROM_ONE)
    ordering = order_by_filter("city__name", "network__name", "observed_on", "level")

    class Meta:
        model = EngagementObservation
        fields: list[str] = []

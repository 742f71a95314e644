"""Admin import and export of networks, memberships and codings with their evidence.

The rules every import follows (whole-file check, one transaction, history, natural
keys, only the file's columns written) are in cities/resources.py. A membership file
has the columns of the shipped member lists (fixtures/memberships/), so
100rc_members.csv imports as it is into the network chosen on the import form.
"""

import datetime

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone
from import_export.fields import Field

from cities.models import City
from cities.resources import (
    PLACE_ERROR_COLUMNS,
    CityIndex,
    CitynetResource,
    ImportFileError,
    ParsedRow,
    RowReader,
    cell_text,
    city_reference,
    file_row,
    fill_population_source,
    read_place,
)
from networks.memberlists import TYPE_WORDS, URL_PATTERN, parse_partial_date
from networks.models import (
    Code,
    CodebookVersion,
    Coder,
    Coding,
    DatePrecision,
    Evidence,
    Membership,
    Network,
    Source,
    Theme,
    period_end,
)
from networks.visibility import can_see_restricted

LIST_SEPARATOR = ";"


def partial_date_text(value: datetime.date | None, precision: str) -> str:
    """A date as precisely as it is known, in the form files use: '2013', '2013-12', '2013-12-03'."""
    if value is None:
        return ""
    if precision == DatePrecision.YEAR:
        return str(value.year)
    if precision == DatePrecision.MONTH:
        return value.strftime("%Y-%m")
    return value.isoformat()


def read_partial_date(reader: RowReader, column: str, *, end: bool, text: str | None = None):
    """(date, precision) from a cell, or (None, day) when it is empty or wrong."""
    text = reader.text(column) if text is None else text
    if not text:
        return None, DatePrecision.DAY
    try:
        return parse_partial_date(text, end=end)
    except ValueError as error:
        message = str(error)
        if not message.startswith("'"):
            # datetime.date's own words, e.g. "day is out of range for month"
            message = f"'{text}' is not a date: {message}"
        reader.problem(column, message)
        return None, DatePrecision.DAY


def chunks(items: list, size: int = 500):
    for start in range(0, len(items), size):
        yield items[start : start + size]


class SourceIndex:
    """Sources by citation (and by label, where a label is used once), loaded once."""

    def __init__(self, citations=None):
        sources = Source.objects.all()
        if citations is not None:
            found = []
            for part in chunks(sorted(citations)):
                found += list(sources.filter(citation__in=part))
            sources = found
        self.by_citation = {source.citation: source for source in sources}
        self.by_label: dict[str, Source | None] = {}
        if citations is None:
            for source in self.by_citation.values():
                if source.label:
                    # A label used twice names no source.
                    self.by_label[source.label] = None if source.label in self.by_label else source

    def find(self, text: str) -> Source | None:
        return self.by_citation.get(text) or self.by_label.get(text)


# --- networks -------------------------------------------------------------------------


class NetworkResource(CitynetResource):
    """Networks, one a row, found by slug. Cities are named 'Name (CC)' or by GeoNames
    id; themes by slug or name; several in one cell are separated by ';'."""

    slug = Field(column_name="slug")
    name = Field(column_name="name")
    acronym = Field(column_name="acronym")
    scope = Field(column_name="scope")
    region = Field(column_name="region")
    focus = Field(column_name="focus")
    themes = Field(column_name="themes")
    description = Field(column_name="description")
    website = Field(column_name="website")
    founded = Field(column_name="founded")
    ended = Field(column_name="ended")
    successor = Field(column_name="successor")
    headquarters = Field(column_name="headquarters")
    regional_offices = Field(column_name="regional_offices")
    funder = Field(column_name="funder")
    politically_led = Field(column_name="politically_led")
    governance = Field(column_name="governance")
    membership_criteria = Field(column_name="membership_criteria")
    reported_member_count = Field(column_name="reported_member_count")
    reported_member_count_note = Field(column_name="reported_member_count_note")
    reported_member_count_as_of = Field(column_name="reported_member_count_as_of")
    member_count_source = Field(column_name="member_count_source")

    required_columns = frozenset({"slug"})
    error_columns = {
        "networks_network_ended_after_founded": "ended",
        "networks_network_scope_valid": "scope",
        "networks_network_focus_valid": "focus",
        "networks_network_member_count_dated": "reported_member_count_as_of",
    }
    TEXT_COLUMNS = [
        "name",
        "acronym",
        "region",
        "description",
        "website",
        "successor",
        "funder",
        "governance",
        "membership_criteria",
        "reported_member_count_note",
    ]

    class Meta(CitynetResource.Meta):
        model = Network
        name = "Networks (one row a network)"
        fields = (
            "slug",
            "name",
            "acronym",
            "scope",
            "region",
            "focus",
            "themes",
            "description",
            "website",
            "founded",
            "ended",
            "successor",
            "headquarters",
            "regional_offices",
            "funder",
            "politically_led",
            "governance",
            "membership_criteria",
            "reported_member_count",
            "reported_member_count_note",
            "reported_member_count_as_of",
            "member_count_source",
        )
        import_order = export_order = fields

    def prepare(self, dataset, **kwargs) -> None:
        self.networks = {
            network.slug: network for network in Network.objects.prefetch_related("themes", "regional_offices")
        }
        self.cities = CityIndex(whole=False)
        self.sources = SourceIndex()
        self.themes = {}
        for theme in Theme.objects.all():
            self.themes[theme.slug] = self.themes[theme.name.casefold()] = theme

    def parse_row(self, number: int, reader: RowReader) -> ParsedRow:
        slug = reader.text("slug")
        if not slug:
            reader.problem("slug", "every network needs its slug")
        values = {column: reader.text(column) for column in self.TEXT_COLUMNS if reader.has(column)}
        for column, choices in (("scope", Network.Scope), ("focus", Network.Focus)):
            if reader.has(column):
                values[column] = reader.choice(column, choices)
        for column in ("founded", "ended", "reported_member_count"):
            if reader.has(column):
                values[column] = reader.integer(column)
        if reader.has("politically_led"):
            values["politically_led"] = reader.boolean("politically_led")
        if reader.has("reported_member_count_as_of"):
            values["reported_member_count_as_of"] = reader.date("reported_member_count_as_of")
        if reader.has("headquarters"):
            values["headquarters"] = self.read_city(reader, "headquarters", reader.text("headquarters"))
        if reader.has("regional_offices"):
            names = [part for part in reader.text("regional_offices").split(LIST_SEPARATOR) if part.strip()]
            values["regional_offices"] = {self.read_city(reader, "regional_offices", name) for name in names} - {None}
        if reader.has("themes"):
            values["themes"] = set()
            for part in filter(None, (part.strip() for part in reader.text("themes").split(LIST_SEPARATOR))):
                theme = self.themes.get(part) or self.themes.get(part.casefold())
                if theme is None:
                    reader.problem("themes", f"no theme '{part}' (add it under Themes first)")
                values["themes"].add(theme)
        if reader.has("member_count_source") and reader.text("member_count_source"):
            values["member_count_source"] = self.sources.find(reader.text("member_count_source"))
            if values["member_count_source"] is None:
                reader.problem("member_count_source", "no source with this citation (add it under Sources first)")
        elif reader.has("member_count_source"):
            values["member_count_source"] = None
        return ParsedRow(number=number, key=("network", slug), values={"slug": slug, **values})

    def read_city(self, reader: RowReader, column: str, text: str) -> City | None:
        if not text.strip():
            return None
        try:
            city = self.cities.find_reference(text)
        except ValueError as error:
            reader.problem(column, str(error))
            return None
        if city is None:
            reader.problem(column, f"no place '{text.strip()}' (import or add it under Cities first)")
        return city

    def describe(self, parsed: ParsedRow) -> str:
        return f"network '{parsed.values['slug']}' twice"

    duplicate_column = "slug"

    def find_instance(self, parsed: ParsedRow) -> tuple[Network, bool]:
        network = self.networks.get(parsed.values["slug"])
        return (network, False) if network is not None else (Network(), True)

    def apply(self, instance: Network, parsed: ParsedRow) -> None:
        for name, value in parsed.values.items():
            if name in ("themes", "regional_offices"):
                setattr(instance, f"imported_{name}", value)
            else:
                setattr(instance, name, value)

    def state(self, network: Network) -> tuple:
        related = []
        for name in ("themes", "regional_offices"):
            chosen = getattr(network, f"imported_{name}", None)
            if chosen is None:
                chosen = set(getattr(network, name).all()) if network.pk else set()
            related.append(frozenset(item.pk for item in chosen))
        return super().state(network) + tuple(related)

    def after_save(self, instance: Network, parsed: ParsedRow) -> None:
        for name in ("themes", "regional_offices"):
            chosen = getattr(instance, f"imported_{name}", None)
            if chosen is not None:
                getattr(instance, name).set(chosen)
        self.networks[instance.slug] = instance

    def cells(self, network: Network) -> dict:
        themes = getattr(network, "imported_themes", None)
        offices = getattr(network, "imported_regional_offices", None)
        if network.pk:
            themes = network.themes.all() if themes is None else themes
            offices = network.regional_offices.all() if offices is None else offices
        return {
            **{column: getattr(network, column) for column in self.TEXT_COLUMNS},
            "slug": network.slug,
            "scope": network.scope,
            "focus": network.focus,
            "themes": f"{LIST_SEPARATOR} ".join(sorted(theme.slug for theme in themes or [])),
            "founded": network.founded or "",
            "ended": network.ended or "",
            "headquarters": city_reference(network.headquarters),
            "regional_offices": f"{LIST_SEPARATOR} ".join(sorted(city_reference(city) for city in offices or [])),
            "politically_led": "" if network.politically_led is None else str(network.politically_led).lower(),
            "reported_member_count": "" if network.reported_member_count is None else network.reported_member_count,
            "reported_member_count_as_of": (
                network.reported_member_count_as_of.isoformat() if network.reported_member_count_as_of else ""
            ),
            "member_count_source": network.member_count_source.citation if network.member_count_source else "",
        }

    def iter_queryset(self, queryset):
        return super().iter_queryset(
            queryset.select_related("headquarters", "member_count_source").prefetch_related(
                "themes", "regional_offices"
            )
        )


# --- memberships ----------------------------------------------------------------------


def read_membership_type(reader: RowReader) -> str:
    """'full', 'Full member', 'associate' ...; 'member (type not given by source)' is unknown."""
    text = reader.text("membership_type")
    lowered = text.lower()
    if not text:
        return Membership.Type.UNKNOWN
    for value, label in Membership.Type.choices:
        if lowered in (value, label.lower()):
            return value
    for word, value in TYPE_WORDS.items():
        if word in lowered:
            return value
    if "member" in lowered or "not given" in lowered:
        return Membership.Type.UNKNOWN
    reader.problem(
        "membership_type", f"'{text}' is not a membership type (full, associate, partner, observer, unknown)"
    )
    return Membership.Type.UNKNOWN


class MembershipResource(CitynetResource):
    """Membership spells, one a row: a member list in the format of fixtures/memberships/.

    A spell is found by network, place and start (joined, or year_selected as a year).
    A place is found by name and country, then by GeoNames id; a place not yet in
    Citynet is added from the row (latitude, longitude, population, geonames_name,
    match_note, wikidata_id). A citation not yet in Citynet becomes a new data-set
    source. When the network has ended, a new spell with no end ends with it.

    Spells are written in batches (a member list may have tens of thousands of rows),
    new places all at once before the first spell.
    """

    network = Field(column_name="network")
    city = Field(column_name="city")
    country_iso2 = Field(column_name="country_iso2")
    kind = Field(column_name="kind")
    geonameid = Field(column_name="geonameid")
    membership_type = Field(column_name="membership_type")
    joined = Field(column_name="joined")
    left = Field(column_name="left")
    round = Field(column_name="round")
    took_effect = Field(column_name="took_effect")
    listed_on = Field(column_name="listed_on")
    source = Field(column_name="source")
    note = Field(column_name="note")

    required_columns = frozenset({"city", "country_iso2", "source"})
    extra_columns = frozenset(
        {"year_selected", "latitude", "longitude", "population", "geonames_name", "match_note", "wikidata_id"}
    )
    error_columns = {
        "type": "membership_type",
        "application_round": "round",
        "networks_membership_left_after_joined": "left",
        "networks_membership_one_spell_per_start": "joined",
        "networks_membership_one_undated_spell": "joined",
        "networks_membership_type_valid": "membership_type",
        "networks_membership_precision_valid": "joined",
    }
    duplicate_column = "city"

    class Meta(CitynetResource.Meta):
        model = Membership
        name = "Memberships (one row a membership spell)"
        use_bulk = True
        batch_size = 1000
        fields = (
            "network",
            "city",
            "country_iso2",
            "kind",
            "geonameid",
            "membership_type",
            "joined",
            "left",
            "round",
            "took_effect",
            "listed_on",
            "source",
            "note",
        )
        import_order = export_order = fields

    def __init__(self, network: Network | None = None, **kwargs):
        super().__init__(**kwargs)
        self.chosen_network = network

    def check_columns(self, dataset) -> None:
        super().check_columns(dataset)
        if self.chosen_network is None and "network" not in dataset.headers:
            raise ImportFileError(
                "Which network? Choose it on the import form, or add a network column with each row's network slug."
            )

    def prepare(self, dataset, **kwargs) -> None:
        self.cities = CityIndex(whole=False)
        self.networks = {network.slug: network for network in Network.objects.all()}
        citations = {cell_text(value) for value in dataset["source"] if value}
        self.sources = SourceIndex(citations)
        slugs = {cell_text(value) for value in dataset["network"] if value} if "network" in dataset.headers else set()
        in_file = [self.networks[slug] for slug in slugs if slug in self.networks]
        if self.chosen_network is not None:
            in_file.append(self.chosen_network)
        self.spells = {}
        for spell in Membership.objects.filter(network__in=in_file).select_related("source"):
            # Every place is in the index already: no query per spell.
            spell.city = self.cities.by_pk[spell.city_id]
            spell.network = next(network for network in in_file if network.pk == spell.network_id)
            self.spells[(spell.city_id, spell.network_id, spell.joined)] = spell

    def parse_row(self, number: int, reader: RowReader) -> ParsedRow:
        network = self.read_network(reader)
        place = read_place(reader, name_column="city", note_column="match_note")
        membership = {}
        if reader.has("membership_type"):
            membership["type"] = read_membership_type(reader)
        start_text = reader.text("joined") or reader.text("year_selected")
        start_column = "joined" if reader.text("joined") or not reader.has("year_selected") else "year_selected"
        joined, joined_precision = read_partial_date(reader, start_column, end=False, text=start_text)
        if reader.has("joined") or reader.has("year_selected"):
            membership.update(joined=joined, joined_precision=joined_precision)
        if reader.has("left"):
            left, left_precision = read_partial_date(reader, "left", end=True)
            if left is None and not reader.text("left") and network is not None and network.ended:
                left, left_precision = period_end(network.ended), DatePrecision.YEAR
            membership.update(left=left, left_precision=left_precision)
        if reader.has("round"):
            membership["application_round"] = reader.integer("round")
        if reader.has("took_effect"):
            took_effect = reader.boolean("took_effect")
            membership["took_effect"] = True if took_effect is None else took_effect
        if reader.has("listed_on"):
            membership["listed_on"] = reader.date("listed_on")
        if reader.has("note"):
            membership["note"] = reader.text("note")
        citation = reader.text("source")
        if not citation:
            reader.problem("source", "every membership needs its source")
        values = {"network": network, "place": place, "membership": membership, "source": citation, "spell": None}
        parsed = ParsedRow(number=number, values=values)
        if reader.problems or network is None:
            return parsed
        try:
            city = self.cities.find(
                name=place["name"],
                country=place["country"],
                kind=place.get("kind", ""),
                geonames_id=place.get("geonames_id"),
            )
        except ValueError as error:
            reader.problem("city", str(error))
            return parsed
        geonames_id = place.get("geonames_id")
        if (
            city
            and city.kind == City.Kind.CITY
            and city.geonames_id
            and geonames_id
            and city.geonames_id != geonames_id
        ):
            reader.problem(
                "geonameid", f"{city} has GeoNames id {city.geonames_id} in Citynet, this row says {geonames_id}"
            )
        if city is not None:
            values["spell"] = self.spells.get((city.pk, network.pk, joined))
        values["city"] = city
        ends = membership.get("left") or (period_end(network.ended) if network.ended and not values["spell"] else None)
        if joined and ends and ends < joined:
            reader.problem("left", f"the membership would end ({ends}) before it starts ({joined})")
        city_key = city.pk if city else ("new", place["name"].casefold(), place["country"], place.get("kind", "city"))
        parsed.key = (network.pk, city_key, joined)
        return parsed

    def read_network(self, reader: RowReader) -> Network | None:
        slug = reader.text("network")
        if not slug:
            if self.chosen_network is None:
                reader.problem("network", "no network: fill the network column or choose one on the import form")
            return self.chosen_network
        network = self.networks.get(slug)
        if network is None:
            reader.problem("network", f"no network with slug '{slug}'")
        elif self.chosen_network is not None and network != self.chosen_network:
            reader.problem("network", f"the row says '{slug}' but this import is into '{self.chosen_network.slug}'")
        return network

    def describe(self, parsed: ParsedRow) -> str:
        place, membership = parsed.values["place"], parsed.values["membership"]
        start = membership.get("joined")
        when = f"starting {start}" if start else "with no start date"
        return f"{place['name']} ({place['country']}) in {parsed.values['network']} {when}"

    def find_instance(self, parsed: ParsedRow) -> tuple[Membership, bool]:
        if parsed.values["spell"] is not None:
            return parsed.values["spell"], False
        return Membership(network=parsed.values["network"]), True

    def after_read(self) -> None:
        """Add the places and sources the file names that Citynet lacks: all places in one
        statement, each new source once however many rows cite it."""
        new_places: dict[tuple, tuple[City, list[ParsedRow]]] = {}
        for parsed in self.rows.values():
            if parsed.problems:
                continue
            if parsed.values["city"] is None:
                place = parsed.values["place"]
                if parsed.key[1] not in new_places:
                    city = City(**{name: value for name, value in place.items() if value is not None})
                    city.slug = self.cities.unique_slug(city.name, city.country)
                    fill_population_source(city)
                    self.cities.slugs.add(city.slug)
                    new_places[parsed.key[1]] = (city, [])
                new_places[parsed.key[1]][1].append(parsed)
            try:
                parsed.values["source"] = self.source_for(parsed.values["source"])
            except ValidationError as error:
                parsed.problems = error.message_dict
        self.add_places(list(new_places.values()))
        for parsed in self.rows.values():
            if not parsed.problems:
                # Only new places needed the place's columns.
                del parsed.values["place"]

    def add_places(self, places: list[tuple[City, list[ParsedRow]]]) -> None:
        valid = []
        for city, rows in places:
            try:
                city.full_clean(validate_unique=False, validate_constraints=False)
            except ValidationError as error:
                self.refuse_place(rows, error)
                continue
            valid.append((city, rows))
        database = self.get_db_connection_name()
        try:
            with transaction.atomic(using=database):
                City.objects.using(database).bulk_create([city for city, _ in valid], batch_size=1000)
        except IntegrityError:
            # Save them one at a time to find the places the database refuses.
            saved = []
            for city, rows in valid:
                city.pk = None
                try:
                    with transaction.atomic(using=database):
                        self.save_checked(city, PLACE_ERROR_COLUMNS)
                except ValidationError as error:
                    self.refuse_place(rows, error)
                    continue
                saved.append((city, rows))
            valid = saved
        for city, rows in valid:
            self.cities.add(city)
            for parsed in rows:
                parsed.values["city"] = city

    @staticmethod
    def refuse_place(rows: list[ParsedRow], error: ValidationError) -> None:
        problems = {PLACE_ERROR_COLUMNS.get(name, name): messages for name, messages in error.message_dict.items()}
        for parsed in rows:
            parsed.problems = problems

    def apply(self, instance: Membership, parsed: ParsedRow) -> None:
        values = parsed.values
        if instance.pk is None:
            instance.city = values["city"]
        for name, value in values["membership"].items():
            setattr(instance, name, value)
        network = instance.network
        if instance.pk is None and "left" not in values["membership"] and network.ended and instance.left is None:
            # As the member-list loader does: every spell ends with its network at the latest.
            instance.left, instance.left_precision = period_end(network.ended), DatePrecision.YEAR
            if not values["membership"].get("note"):
                instance.note = f"Ends with the network ({network.ended})."
        instance.source = values["source"]

    def source_for(self, citation: str) -> Source:
        """The source with this citation; a new data-set source the first time it is cited."""
        source = self.sources.find(citation)
        if source is None:
            # As the member-list loader does: a list's citation becomes a data-set source.
            url = URL_PATTERN.search(citation)
            source = Source(
                kind=Source.Kind.DATASET,
                citation=citation,
                label=citation.split(" - ")[0].split(";")[0].strip()[:200],
                url=url.group(0).rstrip(".,;)")[:500] if url else "",
            )
            try:
                source.full_clean(validate_unique=False, validate_constraints=False)
                with transaction.atomic(using=self.get_db_connection_name()):
                    self.save_checked(source, {"citation": "source"})
            except ValidationError as error:
                raise ValidationError({"source": error.messages}) from None
            self.sources.by_citation[citation] = source
        return source

    def after_save(self, instance: Membership, parsed: ParsedRow) -> None:
        self.spells[(instance.city_id, instance.network_id, instance.joined)] = instance

    def cells(self, spell: Membership) -> dict:
        city = spell.city
        return {
            "network": spell.network.slug,
            "city": city.name,
            "country_iso2": city.country,
            "kind": city.kind,
            "geonameid": city.geonames_id or "",
            "membership_type": spell.type,
            "joined": partial_date_text(spell.joined, spell.joined_precision),
            "left": partial_date_text(spell.left, spell.left_precision),
            "round": "" if spell.application_round is None else spell.application_round,
            "took_effect": str(spell.took_effect).lower(),
            "listed_on": spell.listed_on.isoformat() if spell.listed_on else "",
            "source": spell.source.citation,
            "note": spell.note,
        }

    def iter_queryset(self, queryset):
        return super().iter_queryset(queryset.select_related("city", "network", "source"))


# --- codings with their evidence ------------------------------------------------------

EVIDENCE_COLUMNS = {
    "source": "evidence_source",
    "locator": "evidence_locator",
    "kind": "evidence_kind",
    "text": "evidence_text",
    "original_text": "evidence_original_text",
    "language": "evidence_language",
    "position": "evidence_position",
    "visibility": "evidence_visibility",
    "public_paraphrase": "evidence_public_paraphrase",
    "networks_evidence_kind_valid": "evidence_kind",
    "networks_evidence_text_not_empty": "evidence_text",
    "networks_evidence_no_duplicate": "evidence_text",
    "networks_evidence_visibility_valid": "evidence_visibility",
    "networks_evidence_paraphrase_given": "evidence_public_paraphrase",
}
CODING_FIELDS = ["salience", "outcome", "coded_at", "note"]


class CodingResource(CitynetResource):
    """Codings with their evidence: one row a piece of evidence, with its coding.

    A coding is found by network, city (empty for the network as a whole), code (in the
    current codebook unless a codebook column names another), perspective and coder;
    a coding with several pieces of evidence takes one row each, with the same coding
    values. A row with no evidence text is a coding alone. Evidence is found by its
    coding, source and text. Cities, codes, coders and sources must exist already.

    An export holds evidence as the exporting user may read it (networks.visibility): for a
    user without the permission, restricted and paraphrase-only rows have no evidence_text or
    evidence_original_text (and restricted ones no locator or paraphrase), so such a file
    cannot be imported again over the verbatim texts.
    """

    network = Field(column_name="network")
    city = Field(column_name="city")
    country_iso2 = Field(column_name="country_iso2")
    geonameid = Field(column_name="geonameid")
    codebook = Field(column_name="codebook")
    code = Field(column_name="code")
    perspective = Field(column_name="perspective")
    coder = Field(column_name="coder")
    salience = Field(column_name="salience")
    outcome = Field(column_name="outcome")
    coded_at = Field(column_name="coded_at")
    note = Field(column_name="note")
    evidence_source = Field(column_name="evidence_source")
    evidence_locator = Field(column_name="evidence_locator")
    evidence_kind = Field(column_name="evidence_kind")
    evidence_text = Field(column_name="evidence_text")
    evidence_original_text = Field(column_name="evidence_original_text")
    evidence_language = Field(column_name="evidence_language")
    evidence_position = Field(column_name="evidence_position")
    evidence_visibility = Field(column_name="evidence_visibility")
    evidence_public_paraphrase = Field(column_name="evidence_public_paraphrase")

    required_columns = frozenset({"network", "city", "code", "perspective", "coder"})
    error_columns = {
        "networks_coding_salience_range": "salience",
        "networks_coding_outcome_valid": "outcome",
        "networks_coding_perspective_valid": "perspective",
        "networks_coding_one_per_cell": "code",
        "networks_coding_one_per_network_cell": "code",
    }

    class Meta(CitynetResource.Meta):
        model = Coding
        name = "Codings with their evidence (one row a piece of evidence)"
        fields = (
            "network",
            "city",
            "country_iso2",
            "geonameid",
            "codebook",
            "code",
            "perspective",
            "coder",
            "salience",
            "outcome",
            "coded_at",
            "note",
            "evidence_source",
            "evidence_locator",
            "evidence_kind",
            "evidence_text",
            "evidence_original_text",
            "evidence_language",
            "evidence_position",
            "evidence_visibility",
            "evidence_public_paraphrase",
        )
        import_order = export_order = fields

    def __init__(self, reader=None, **kwargs):
        super().__init__(**kwargs)
        # Who exports (networks.visibility): None, the default, exports what the public may read.
        self.reader = reader
        self.evidence: Evidence | None = None
        self.made_here: set[int] = set()
        self.saved_state: dict[int, tuple] = {}
        self.coding_values: dict[tuple, tuple[int, dict]] = {}

    def prepare(self, dataset, **kwargs) -> None:
        self.cities = CityIndex(whole=False)
        self.networks = {network.slug: network for network in Network.objects.all()}
        self.sources = SourceIndex()
        self.coders = {coder.name: coder for coder in Coder.objects.all()}
        current = CodebookVersion.objects.filter(is_current=True).first()
        self.current_codebook = current.label if current else ""
        self.codes = {(code.version.label, code.code): code for code in Code.objects.select_related("version")}
        slugs = {cell_text(value) for value in dataset["network"] if value}
        codings = Coding.objects.filter(network__slug__in=slugs).select_related("city", "network", "code", "coder")
        self.codings = {self.coding_key(coding): coding for coding in codings}
        self.stored_evidence = {
            (item.coding_id, item.source_id, item.text): item
            for item in Evidence.objects.filter(coding__in=list(self.codings.values())).select_related("source")
        }

    @staticmethod
    def coding_key(coding: Coding) -> tuple:
        return (coding.network_id, coding.city_id, coding.code_id, coding.perspective, coding.coder_id)

    def parse_row(self, number: int, reader: RowReader) -> ParsedRow:
        values = {}
        slug = reader.text("network")
        values["network"] = self.networks.get(slug)
        if values["network"] is None:
            reader.problem("network", f"no network with slug '{slug}'" if slug else "every coding needs its network")
        values["city"] = self.read_city(reader)
        codebook = reader.text("codebook") or self.current_codebook
        values["code"] = self.codes.get((codebook, reader.text("code")))
        if values["code"] is None:
            reader.problem("code", f"no code '{reader.text('code')}' in codebook {codebook or '(none is current)'}")
        values["perspective"] = reader.choice("perspective", Coding.Perspective)
        if not values["perspective"]:
            reader.problem("perspective", "every coding needs its perspective (city, network or researcher)")
        values["coder"] = self.coders.get(reader.text("coder"))
        if values["coder"] is None:
            reader.problem("coder", f"no coder '{reader.text('coder')}' (add the coder under Coders first)")
        coding = {}
        if reader.has("salience"):
            coding["salience"] = reader.integer("salience")
        if reader.has("outcome"):
            coding["outcome"] = reader.choice("outcome", Coding.Outcome)
        if reader.has("coded_at"):
            coding["coded_at"] = self.read_time(reader)
        if reader.has("note"):
            coding["note"] = reader.text("note")
        values["coding"] = coding
        values["evidence"] = self.read_evidence(reader)
        parsed = ParsedRow(number=number, values=values)
        if reader.problems:
            return parsed
        coding_key = (
            values["network"].pk,
            values["city"].pk if values["city"] else None,
            values["code"].pk,
            values["perspective"],
            values["coder"].pk,
        )
        values["coding_key"] = coding_key
        earlier = self.coding_values.setdefault(coding_key, (number, coding))
        for name, value in coding.items():
            if name in earlier[1] and earlier[1][name] != value:
                reader.problem(name, f"row {file_row(earlier[0])} gives this coding {name} '{earlier[1][name]}'")
        evidence = values["evidence"]
        parsed.key = coding_key + ((evidence["source"].pk, evidence["text"]) if evidence else ("no evidence",))
        return parsed

    def read_city(self, reader: RowReader) -> City | None:
        name, country, geonames_id = (
            reader.text("city"),
            reader.text("country_iso2").upper(),
            reader.integer("geonameid"),
        )
        if not name and not geonames_id:
            return None
        try:
            city = self.cities.find(name=name, country=country, geonames_id=geonames_id)
        except ValueError as error:
            reader.problem("city", str(error))
            return None
        if city is None:
            reader.problem("city", f"no place '{name} ({country})' (import or add it under Cities first)")
        return city

    def read_time(self, reader: RowReader) -> datetime.datetime | None:
        text = reader.text("coded_at")
        if not text:
            return None
        try:
            value = datetime.datetime.fromisoformat(text)
        except ValueError:
            reader.problem("coded_at", f"'{text}' is not a date and time (use YYYY-MM-DD or YYYY-MM-DD HH:MM)")
            return None
        return timezone.make_aware(value, datetime.UTC) if timezone.is_naive(value) else value

    def read_evidence(self, reader: RowReader) -> dict | None:
        text = reader.text("evidence_text")
        others = ("evidence_source", "evidence_locator", "evidence_original_text")
        if not text:
            if any(reader.text(column) for column in others):
                reader.problem("evidence_text", "evidence needs its text")
            return None
        evidence = {"text": text, "source": self.sources.find(reader.text("evidence_source"))}
        if evidence["source"] is None:
            cited = reader.text("evidence_source")
            reader.problem(
                "evidence_source",
                f"no source with citation or label '{cited}' (add it under Sources first)"
                if cited
                else "evidence needs its source",
            )
        evidence["kind"] = reader.choice("evidence_kind", Evidence.Kind)
        if not evidence["kind"]:
            reader.problem("evidence_kind", "say whether the evidence is a quote or a paraphrase")
        for column in ("locator", "original_text", "language", "public_paraphrase"):
            if reader.has(f"evidence_{column}"):
                evidence[column] = reader.text(f"evidence_{column}")
        # An empty cell keeps what is stored (public for new evidence).
        visibility = reader.choice("evidence_visibility", Evidence.Visibility)
        if visibility:
            evidence["visibility"] = visibility
        if reader.has("evidence_position"):
            evidence["position"] = reader.integer("evidence_position") or 0
        return evidence

    def describe(self, parsed: ParsedRow) -> str:
        return "the same coding with the same evidence"

    def find_instance(self, parsed: ParsedRow) -> tuple[Coding, bool]:
        coding = self.codings.get(parsed.values["coding_key"])
        evidence = parsed.values["evidence"]
        self.evidence = None
        if coding is not None and evidence is not None:
            self.evidence = self.stored_evidence.get((coding.pk, evidence["source"].pk, evidence["text"]))
        if coding is None:
            return Coding(), True
        # More evidence for a coding an earlier row of this file made is part of something new.
        return coding, coding.pk in self.made_here

    def apply(self, instance: Coding, parsed: ParsedRow) -> None:
        values = parsed.values
        for name in ("network", "city", "code", "perspective", "coder"):
            setattr(instance, name, values[name])
        for name, value in values["coding"].items():
            setattr(instance, name, value)
        if instance.coded_at is None:
            instance.coded_at = timezone.now()
        if values["evidence"] is not None:
            self.evidence = self.evidence or Evidence()
            for name, value in values["evidence"].items():
                setattr(self.evidence, name, value)

    def state(self, coding: Coding) -> tuple:
        evidence = None
        if self.evidence is not None:
            evidence = tuple(getattr(self.evidence, f.attname) for f in Evidence._meta.concrete_fields)
        return super().state(coding) + (evidence,)

    def do_instance_save(self, instance: Coding, is_create: bool) -> None:
        created = instance.pk is None
        # A coding with several pieces of evidence is saved once, not once a row.
        if created or self.saved_state.get(instance.pk) != super().state(instance):
            self.save_checked(instance)
        if created:
            self.made_here.add(instance.pk)
        self.saved_state[instance.pk] = super().state(instance)

    def after_save(self, instance: Coding, parsed: ParsedRow) -> None:
        self.codings[parsed.values["coding_key"]] = instance
        evidence = self.evidence
        if evidence is None:
            return
        evidence.coding = instance
        try:
            evidence.full_clean(exclude=["coding", "source"], validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            raise ValidationError(
                {
                    EVIDENCE_COLUMNS.get(name, NON_FIELD_ERRORS): messages
                    for name, messages in error.message_dict.items()
                }
            ) from None
        self.save_checked(evidence, EVIDENCE_COLUMNS)
        self.stored_evidence[(instance.pk, evidence.source_id, evidence.text)] = evidence

    def cells(self, instance) -> dict:
        if isinstance(instance, tuple):  # exported: from iter_queryset
            coding, evidence = instance
            evidence_cells = self.exported_evidence_cells(evidence)
        else:  # a row being imported: the file's values
            coding, evidence = instance, self.evidence
            evidence_cells = {
                "evidence_source": evidence.source.citation if evidence else "",
                "evidence_locator": evidence.locator if evidence else "",
                "evidence_kind": evidence.kind if evidence else "",
                "evidence_text": evidence.text if evidence else "",
                "evidence_original_text": evidence.original_text if evidence else "",
                "evidence_language": evidence.language if evidence else "",
                "evidence_position": evidence.position if evidence else "",
                "evidence_visibility": evidence.visibility if evidence else "",
                "evidence_public_paraphrase": evidence.public_paraphrase if evidence else "",
            }
        city = coding.city
        return {
            "network": coding.network.slug,
            "city": city.name if city else "",
            "country_iso2": city.country if city else "",
            "geonameid": (city.geonames_id or "") if city else "",
            "codebook": coding.code.version.label,
            "code": coding.code.code,
            "perspective": coding.perspective,
            "coder": coding.coder.name,
            "salience": "" if coding.salience is None else coding.salience,
            "outcome": coding.outcome,
            "coded_at": coding.coded_at.isoformat(sep=" ") if coding.coded_at else "",
            "note": coding.note,
            **evidence_cells,
        }

    def exported_evidence_cells(self, evidence: Evidence | None) -> dict:
        """The evidence columns of an exported row, from `Evidence.objects.for_reader()`: the
        verbatim text only where the exporter may read it, else what the public reads."""
        if evidence is None:
            return {column: "" for column in self.columns() if column.startswith("evidence_")}
        verbatim = evidence.visibility == Evidence.Visibility.PUBLIC or can_see_restricted(self.reader)
        return {
            "evidence_source": evidence.source.citation,
            "evidence_locator": evidence.shown_locator,
            "evidence_kind": evidence.shown_kind,
            "evidence_text": evidence.shown_text if verbatim else "",
            "evidence_original_text": evidence.shown_original_text,
            "evidence_language": evidence.language,
            "evidence_position": evidence.position,
            "evidence_visibility": evidence.visibility,
            "evidence_public_paraphrase": evidence.shown_paraphrase,
        }

    def iter_queryset(self, queryset):
        evidence = Evidence.objects.for_reader(self.reader).select_related("source").order_by("position", "pk")
        queryset = queryset.select_related("city", "network", "code__version", "coder").prefetch_related(
            Prefetch("evidence", queryset=evidence)
        )
        for coding in super().iter_queryset(queryset):
            for evidence in list(coding.evidence.all()) or [None]:
                yield coding, evidence

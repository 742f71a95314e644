"""Member lists imported in the admin, one membership spell a row, in the format of
fixtures/memberships/ (networks.importing.memberlists), and exported the same way."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db import transaction
from import_export.fields import Field

from cities.models import City
from cities.resources import PLACE_ERROR_COLUMNS
from cities.resources import CityIndex
from cities.resources import fill_population_source
from cities.resources import read_place
from citynet.importing import CitynetResource
from citynet.importing import ImportFileError
from citynet.importing import ParsedRow
from citynet.importing import RowReader
from citynet.importing import cell_text
from networks.dates import DatePrecision
from networks.dates import partial_date_text
from networks.dates import period_end
from networks.importing.memberlists import TYPE_WORDS
from networks.importing.memberlists import URL_PATTERN
from networks.importing.resources.common import SourceIndex
from networks.importing.resources.common import read_partial_date
from networks.models import Membership
from networks.models import Network
from networks.models import Source

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

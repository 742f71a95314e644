"""Member lists imported in the admin, one membership spell a row, in the format of
fixtures/memberships/ (networks.importing.memberlists), and exported the same way."""

import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db import transaction
from import_export.fields import Field

from cities.models import City
from cities.reconcile import How
from cities.reconcile import PlaceQuery
from cities.reconcile import Reconciler
from cities.reconcile import Status
from cities.resources import PLACE_ERROR_COLUMNS
from cities.resources import CityIndex
from cities.resources import fill_population_source
from cities.resources import read_place
from citynet.importing import PREVIEW_ROWS
from citynet.importing import CitynetResource
from citynet.importing import ImportFileError
from citynet.importing import ParsedRow
from citynet.importing import RowReader
from citynet.importing import cell_text
from citynet.importing import header_name
from networks.dates import DatePrecision
from networks.dates import partial_date_text
from networks.dates import period_end
from networks.importing.identity import IdentityLog
from networks.importing.identity import count_memberships
from networks.importing.identity import new_place
from networks.importing.identity import new_place_key
from networks.importing.identity import placed_from_file
from networks.importing.identity import query_for
from networks.importing.identity import read_country
from networks.importing.labels import Label
from networks.importing.labels import add_networks
from networks.importing.labels import expand
from networks.importing.labels import label_counts
from networks.importing.labels import label_rows
from networks.importing.labels import missing_networks
from networks.importing.labels import unmapped
from networks.importing.resources.common import SourceIndex
from networks.importing.resources.common import read_partial_date
from networks.models import Membership
from networks.models import Network
from networks.models import Source

URL_PATTERN = re.compile(r"https?://\S+")
TYPE_WORDS = {
    "full": Membership.Type.FULL,
    "associate": Membership.Type.ASSOCIATE,
    "partner": Membership.Type.PARTNER,
    "observer": Membership.Type.OBSERVER,
}
# Headers other files use for the member list's columns.
COLUMN_ALIASES = {"country": "country_iso2", "name": "city", "iso": "country_iso2"}


class LabelMappingError(ImportFileError):
    """A file of many networks that its label mapping does not cover; nothing is read."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(
            "; ".join(problems) + ". Add each label to the mapping (with an empty network if it is not "
            "a network to import)."
            if problems[0].startswith("label")
            else "; ".join(problems)
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

    A spell is found by network, place and start (joined, or year_selected as a year); a
    row with no start names the place's latest spell of the network, if it has one.
    A place is reconciled (cities.reconcile: GeoNames id, Wikidata id, name, folded name,
    GeoNames alternate names; a doubtful place needs a decision); a place not yet in
    Citynet is added from the row (latitude, longitude, population, geonames_name,
    match_note, wikidata_id), placed from GeoNames when the row gives no point.
    Countries may be codes or names (cities.countries). Columns it does not read are
    ignored and listed in `notices`. A citation not yet in Citynet becomes a new data-set
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
        {
            "year_selected",
            "latitude",
            "longitude",
            "population",
            "geonames_name",
            "match_note",
            "wikidata_id",
            "source_row",
        }
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

    def __init__(
        self,
        network: Network | None = None,
        mapping: dict[str, Label] | None = None,
        list_column: str | None = None,
        source: str = "",
        on_labels=None,
        may_add_networks: bool = True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.chosen_network = network
        # A file of many networks (networks.importing.labels): the editor's label mapping.
        self.mapping = mapping
        self.list_column = list_column or None
        self.source = source
        self.on_labels = on_labels
        self.may_add_networks = may_add_networks
        self.label_rows: list[dict] = []
        self.notices: list[str] = []
        self.identities = IdentityLog()
        self.places_created = 0
        self.undated_seen: set = set()
        self.sources_created = 0

    def import_data(self, dataset, dry_run=False, **kwargs):
        # A preview shows doubtful places; only a real import refuses them.
        self.dry_run = dry_run
        result = super().import_data(dataset, dry_run=dry_run, **kwargs)
        # Also when the file stops at a label missing from the mapping.
        result.label_rows = self.label_rows
        return result

    def before_import(self, dataset, **kwargs):
        self.notices[:0] = getattr(dataset, "notices", [])
        if self.mapping is not None:
            try:
                self.expand_labels(dataset)
            except ImportFileError:
                dataset.wipe()
                raise
        super().before_import(dataset, **kwargs)

    def expand_labels(self, dataset) -> None:
        """A file of many networks, in place: one row a place and network (labels.expand),
        after counting the rows of each label (shown before anything is written) and
        adding the networks the mapping names that Citynet lacks."""
        counts = label_counts(dataset, self.list_column)
        self.label_rows = label_rows(counts, self.mapping)
        if self.on_labels is not None:
            self.on_labels(self.label_rows)
        if self.list_column and self.list_column not in (dataset.headers or []):
            raise ImportFileError(f"The file has no column '{self.list_column}' (the column listing networks).")
        missing = unmapped(counts, self.mapping)
        if missing:
            raise LabelMappingError(
                [f"label '{label}' ({counts[label]} rows) is not in the mapping" for label in missing]
            )
        if not self.source:
            raise LabelMappingError(["a file of many networks needs a source: the citation of the data set"])
        lacking = missing_networks(self.mapping)
        if lacking and not self.may_add_networks:
            raise LabelMappingError(
                [
                    f"the mapping names the network '{slug}', which Citynet lacks (only who may add networks "
                    "may import it)"
                    for slug in lacking
                ]
            )
        add_networks(self.mapping)
        expanded = expand(dataset, self.mapping, list_column=self.list_column, source=self.source)
        dataset.wipe()
        dataset.headers = expanded.headers
        for values in expanded:
            dataset.append(values)

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        result.notices = self.notices
        result.identity_counts = self.identities.counts()
        result.identity_rows = self.identities.rows[:PREVIEW_ROWS]
        result.doubtful = self.identities.doubtful()
        result.places_created = self.places_created

    def check_columns(self, dataset) -> None:
        headers = [header_name(header) for header in dataset.headers or []]
        renamed = [COLUMN_ALIASES.get(h, h) if COLUMN_ALIASES.get(h) not in headers else h for h in headers]
        known = set(self.columns()) | self.extra_columns
        unknown = [header for header in dict.fromkeys(renamed) if header and header not in known]
        if unknown and len(unknown) < len([header for header in renamed if header]):
            # Columns the import does not read are left out, and said so, not a rejection.
            self.notices.append(f"Columns ignored (this import does not read them): {', '.join(unknown)}.")
            for header, original in zip(renamed, list(dataset.headers), strict=False):
                if header in unknown:
                    del dataset[original]
            renamed = [header for header in renamed if header not in unknown]
        if dataset.headers:
            dataset.headers = renamed
        super().check_columns(dataset)
        if self.chosen_network is None and "network" not in dataset.headers:
            raise ImportFileError(
                "Which network? Choose it on the import form, or add a network column with each row's network slug."
            )

    def prepare(self, dataset, **kwargs) -> None:
        self.cities = CityIndex(whole=False)
        self.reconciler = Reconciler()
        names, countries = dataset["city"], dataset["country_iso2"]
        self.reconciler.prepare(
            PlaceQuery(cell_text(name), "") for name, _ in zip(names, countries, strict=False) if name
        )
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
        self.latest_spell = {}
        for spell in sorted(self.spells.values(), key=lambda spell: (spell.joined is not None, spell.joined)):
            self.latest_spell[(spell.city_id, spell.network_id)] = spell

    def parse_row(self, number: int, reader: RowReader) -> ParsedRow:
        network = self.read_network(reader)
        read_country(reader)
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
        values["source_row"] = reader.text("source_row")
        parsed = ParsedRow(number=number, values=values)
        if reader.problems or network is None:
            return parsed
        query = query_for(place, reader.has("kind") and bool(reader.text("kind")))
        answer = placed_from_file(self.reconciler.reconcile(query), place)
        values["answer"], values["query"] = answer, query
        city = answer.city
        if answer.status == Status.DOUBTFUL and not self.dry_run:
            reader.problem("city", f"doubtful place, not yet decided: {answer.note}")
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
            if values["spell"] is None and joined is None:
                # A list with no dates confirms a spell the place has: its latest one.
                values["spell"] = self.latest_spell.get((city.pk, network.pk))
                values["confirms"] = values["spell"] is not None
        values["city"] = city
        if city is not None and query.kind and city.kind != query.kind and answer.how != How.DECISION:
            # The same record (name and GeoNames id) entered with another kind: the file says which.
            # Not so when an editor chose a place of another kind for the row: it keeps its kind.
            values["kind_fix"] = query.kind
        ends = membership.get("left") or (period_end(network.ended) if network.ended and not values["spell"] else None)
        if joined and ends and ends < joined:
            reader.problem("left", f"the membership would end ({ends}) before it starts ({joined})")
        city_key = city.pk if city else new_place_key(query, answer)
        parsed.key = (network.pk, city_key, joined)
        if values["source_row"] and joined is None and not reader.problems:
            # A file of many networks that names one place in two rows (two spellings): one spell.
            if parsed.key in self.undated_seen:
                values["again"] = True
                parsed.key = None
            self.undated_seen.add(parsed.key)
        return parsed

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        if not self.current.values.get("again"):
            super().validate_instance(instance, import_validation_errors, validate_unique)

    def after_import_row(self, row, row_result, **kwargs):
        if not self.current.values.get("again"):
            super().after_import_row(row, row_result, **kwargs)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if self.current.values.get("again"):
            return True
        return super().skip_row(instance, original, row, import_validation_errors)

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
        wikidata_rows: dict[str, tuple] = {}
        for parsed in self.rows.values():
            if parsed.problems:
                continue
            if parsed.values["city"] is None and not parsed.values.get("again"):
                place, answer = parsed.values["place"], parsed.values["answer"]
                wikidata_id = place.get("wikidata_id")
                if wikidata_id and wikidata_rows.setdefault(wikidata_id, parsed.key[1]) != parsed.key[1]:
                    parsed.problems = {"wikidata_id": [f"another new place of this file has Wikidata id {wikidata_id}"]}
                    continue
                if parsed.key[1] not in new_places:
                    city = new_place(place, answer)
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
            city, kind = parsed.values.get("city"), parsed.values.get("kind_fix")
            if kind and not parsed.problems and city.kind != kind:
                city.kind = kind
                city.save(update_fields=["kind", "updated_at"])
        self.log_identities()
        for parsed in self.rows.values():
            if not parsed.problems:
                # Only new places needed the place's columns.
                del parsed.values["place"]

    def log_identities(self) -> None:
        """One line a row: the place it names and how that was decided (the preview, --report)."""
        count_memberships(
            candidate.city
            for parsed in self.rows.values()
            if parsed.values.get("answer") is not None
            for candidate in parsed.values["answer"].candidates
            if candidate.city is not None
        )
        for parsed in self.rows.values():
            values = parsed.values
            network = values.get("network")
            self.identities.add(
                row=int(values.get("source_row") or parsed.number + 1),
                network=network.slug if network else "",
                place=values.get("place", {}),
                answer=values.get("answer"),
                problems=parsed.problems,
            )

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
        self.places_created += len(valid)
        for city, rows in valid:
            self.cities.add(city)
            self.reconciler.add(city)
            for parsed in rows:
                parsed.values["city"] = city

    @staticmethod
    def refuse_place(rows: list[ParsedRow], error: ValidationError) -> None:
        problems = {PLACE_ERROR_COLUMNS.get(name, name): messages for name, messages in error.message_dict.items()}
        for parsed in rows:
            parsed.problems = problems

    def apply(self, instance: Membership, parsed: ParsedRow) -> None:
        values = parsed.values
        if values.get("confirms") or values.get("again"):
            # An undated listing of a place already in the network: the spell stays as it is.
            return
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
            self.sources_created += 1
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

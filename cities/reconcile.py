"""Place reconciliation: which place of the register a file's row names, and how we know.

Each row's place is tried, in order, by an editor's earlier decision, GeoNames id,
Wikidata id, name and country, folded name and country (cities.names.fold: case,
accents, punctuation, affixes such as 'City of', 'St.'), and GeoNames alternate names
(the loaded GeoNames tables) of a place held. What none of these finds is a new place,
placed from GeoNames when one GeoNames place is clearly it; close spellings of places
held (rapidfuzz) are only ever suggestions, and a suggestion makes the row doubtful: a
person decides. Kind-aware: a metropolitan body or region never matches the city of the
same name, a row calling itself a city whose name is that of a body or district held is
doubtful (lists disagree on kinds: never silently a second place), and a row naming
several municipalities is doubtful, never the first of them.

Pure of networks: rows come in as PlaceQuery, answers go out as Reconciliation.
"""

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field

from django.db import models
from rapidfuzz import fuzz
from rapidfuzz import process

from cities.countries import country_code
from cities.models import City
from cities.models import CityKind
from cities.models import GeoNamesName
from cities.models import GeoNamesPlace
from cities.models import PlaceDecision
from cities.names import fold
from cities.names import plain

# A close spelling at least this similar (0-100, on folded names) is suggested.
SUGGESTION_SCORE = 85
# A GeoNames place this many times as populous as the next one of the same name is "clearly it".
CLEAR_POPULATION_RATIO = 20
LOOKUP_CHUNK = 500
# 'Abington, MA': a US state (or Canadian province, Australian state) after the name.
STATE_SUFFIX = re.compile(r"^(?P<name>[^,;]+),\s*(?P<state>[A-Z]{2,3}|D\.?C\.?)$")
GEONAMES_POPULATION_SOURCE = "GeoNames (populated place; indicative)"
# How a doubtful row whose only doubt is its kind begins its note.
KIND_DOUBT = "the file calls it a city"


class Status(models.TextChoices):
    MATCHED = "matched", "matched"
    NEW_PLACED = "new_placed", "new, placed from GeoNames"
    NEW_FROM_FILE = "new_from_file", "new, coordinates from the file"
    NEW_UNPLACED = "new_unplaced", "new, without coordinates"
    DOUBTFUL = "doubtful", "doubtful: needs a decision"
    INVALID = "invalid", "invalid"


class How(models.TextChoices):
    DECISION = "decision", "an editor's decision"
    GEONAMES_ID = "geonames_id", "GeoNames id"
    WIKIDATA_ID = "wikidata_id", "Wikidata id"
    NAME = "name", "name and country"
    FOLDED_NAME = "folded_name", "folded name and country"
    ALTERNATE_NAME = "alternate_name", "GeoNames alternate name and country"


@dataclass(frozen=True)
class PlaceQuery:
    """A place as a row names it. `kind` is empty when the file does not say."""

    name: str
    country: str
    kind: str = ""
    geonames_id: int | None = None
    wikidata_id: str = ""

    @property
    def decision_key(self) -> tuple[str, str, str]:
        return (fold(self.name)[:200], self.country, self.kind)


@dataclass
class Candidate:
    """A place the row may name: one held (`city`) or a GeoNames place (`geonames`)."""

    reason: str
    city: City | None = None
    geonames: GeoNamesPlace | None = None
    score: float = 100.0


@dataclass
class Reconciliation:
    status: str
    how: str = ""
    city: City | None = None
    geonames: GeoNamesPlace | None = None
    candidates: list[Candidate] = field(default_factory=list)
    note: str = ""

    @property
    def label(self) -> str:
        """How the preview and the report say it: 'matched by folded name and country'."""
        text = Status(self.status).label
        if self.how:
            text += f" by {How(self.how).label}"
        return text


def several_places(name: str) -> bool:
    """Whether a name lists several municipalities ('Accettura, Cirigliano, Oliveto Lucano')
    rather than one place with a state after it ('Abington, MA')."""
    if STATE_SUFFIX.match(name.strip()):
        return False
    parts = [part.strip() for part in re.split(r"[,;]", name) if part.strip()]
    # 'Hull, City of' is one place, written back to front.
    parts = [part for part in parts if fold(part) and plain(part) != fold(part) + " of" and not is_country(part)]
    return len(parts) > 1


def is_country(text: str) -> bool:
    """'Spain' in 'Alburqueque, Spain': the country, not another place."""
    try:
        country_code(text)
    except ValueError:
        return False
    return len(text.strip()) > 3


def split_state(name: str) -> tuple[str, str]:
    """('Abington', 'MA') from 'Abington, MA'; (name, '') otherwise."""
    match = STATE_SUFFIX.match(name.strip())
    if match:
        return match["name"].strip(), match["state"].replace(".", "")
    return name.strip(), ""


def kind_fits(query_kind: str, city: City) -> bool:
    """A row of a given kind names only places of that kind; a row that gives no kind
    may name any place."""
    return not query_kind or city.kind == query_kind


class Reconciler:
    """Reconciles many rows with a few queries: the register is read once, GeoNames
    names in chunks for the whole file (`prepare`)."""

    def __init__(self):
        self.by_geonames_id: dict[int, City] = {}
        self.by_wikidata_id: dict[str, list[City]] = defaultdict(list)
        self.by_name: dict[tuple[str, str], list[City]] = defaultdict(list)
        self.by_folded: dict[tuple[str, str], list[City]] = defaultdict(list)
        self.folded_in_country: dict[str, dict[str, str]] = defaultdict(dict)
        self.geonames: dict[str, list[GeoNamesPlace]] = {}
        self.answers: dict[PlaceQuery, Reconciliation] = {}
        fields = ("id", "name", "slug", "country", "kind", "geonames_id", "wikidata_id", "geonames_name")
        for city in City.objects.only(*fields):
            self.add(city)
        self.decisions = {
            (decision.key, decision.country, decision.kind): decision
            for decision in PlaceDecision.objects.select_related("city")
        }

    def add(self, city: City) -> None:
        """Count a place in: one held, or one an import has just made."""
        if city.geonames_id and city.kind == CityKind.CITY:
            self.by_geonames_id[city.geonames_id] = city
        if city.wikidata_id:
            self.by_wikidata_id[city.wikidata_id].append(city)
        self.by_name[(city.name.casefold(), city.country)].append(city)
        keys = {fold(city.name)}
        if city.geonames_name and city.kind == CityKind.CITY:
            keys.add(fold(city.geonames_name))
        for key in keys:
            if city not in self.by_folded[(key, city.country)]:
                self.by_folded[(key, city.country)].append(city)
            self.folded_in_country[city.country][key] = key
        self.answers.clear()

    # --- GeoNames ---------------------------------------------------------------------

    def prepare(self, queries: Iterable[PlaceQuery]) -> None:
        """Read the GeoNames places whose names the queries use, a chunk of names a query."""
        keys = set()
        for query in queries:
            name, _ = split_state(query.name)
            keys.update(key for key in (plain(name)[:200], fold(name)[:200]) if key)
        keys -= set(self.geonames)
        for key in keys:
            self.geonames[key] = []
        ordered = sorted(keys)
        for start in range(0, len(ordered), LOOKUP_CHUNK):
            chunk = ordered[start : start + LOOKUP_CHUNK]
            for entry in GeoNamesName.objects.filter(key__in=chunk).select_related("place"):
                self.geonames[entry.key].append(entry.place)

    def geonames_places(self, name: str, country: str) -> list[GeoNamesPlace]:
        keys = [key for key in dict.fromkeys((plain(name)[:200], fold(name)[:200])) if key]
        missing = [key for key in keys if key not in self.geonames]
        if missing:
            self.prepare([PlaceQuery(name=name, country=country)])
        places = {place.geonameid: place for key in keys for place in self.geonames.get(key, [])}
        return sorted(
            (place for place in places.values() if place.country == country),
            key=lambda place: -place.population,
        )

    # --- one row ------------------------------------------------------------------------

    def reconcile(self, query: PlaceQuery) -> Reconciliation:
        answer = self.answers.get(query)
        if answer is None:
            answer = self.answers[query] = self._reconcile(query)
        return answer

    def _reconcile(self, query: PlaceQuery) -> Reconciliation:
        decision = self.decisions.get(query.decision_key)
        if decision is not None:
            if decision.city_id:
                return Reconciliation(Status.MATCHED, How.DECISION, city=decision.city)
            return self.new_place(query, note="a place of its own, as an editor decided")
        if several_places(query.name):
            return Reconciliation(
                Status.DOUBTFUL,
                note="the name lists several places: decide whether it is one member (a new place) "
                "or one of the places held",
                candidates=self.suggestions(query),
            )
        if query.geonames_id and query.kind in ("", CityKind.CITY):
            city = self.by_geonames_id.get(query.geonames_id)
            if city is not None:
                return Reconciliation(Status.MATCHED, How.GEONAMES_ID, city=city)
        if query.wikidata_id:
            found = [city for city in self.by_wikidata_id.get(query.wikidata_id, []) if kind_fits(query.kind, city)]
            if len(found) == 1:
                return Reconciliation(Status.MATCHED, How.WIKIDATA_ID, city=found[0])
            if len(found) > 1:
                return self.doubtful(found, f"{len(found)} places have Wikidata id {query.wikidata_id}")
        name, _ = split_state(query.name)
        same_name = self.by_name.get((name.casefold(), query.country), [])
        if query.geonames_id:
            # The same name and GeoNames id: the same record, even one entered with another kind.
            same_record = [city for city in same_name if city.geonames_id == query.geonames_id]
            if len(same_record) == 1:
                return Reconciliation(Status.MATCHED, How.NAME, city=same_record[0])
        answer = self.among(query, same_name, How.NAME)
        if answer is not None:
            return answer
        same_folded = self.by_folded.get((fold(name), query.country), [])
        answer = self.among(query, same_folded, How.FOLDED_NAME)
        if answer is not None:
            return answer
        if query.kind == CityKind.CITY:
            answer = self.held_as_another_kind(query, [*same_name, *same_folded])
            if answer is not None:
                return answer
        places = self.geonames_places(name, query.country)
        if query.kind in ("", CityKind.CITY):
            held = [self.by_geonames_id[place.geonameid] for place in places if place.geonameid in self.by_geonames_id]
            answer = self.among(query, held, How.ALTERNATE_NAME)
            if answer is not None:
                return answer
        suggestions = self.suggestions(query)
        if suggestions:
            return Reconciliation(
                Status.DOUBTFUL,
                note="close spellings of places held: pick one, or make it a new place",
                candidates=suggestions,
            )
        return self.new_place(query, places=places)

    def among(self, query: PlaceQuery, cities: list[City], how: str) -> Reconciliation | None:
        """The one place of the row's kind among `cities`; doubtful when several are."""
        fitting = [city for city in cities if kind_fits(query.kind, city)]
        if not query.kind and len(fitting) > 1:
            # No kind given: the plain city of that name, if there is one.
            fitting = [city for city in fitting if city.kind == CityKind.CITY] or fitting
        if len(fitting) == 1:
            return Reconciliation(Status.MATCHED, how, city=fitting[0])
        if len(fitting) > 1:
            return self.doubtful(fitting, f"{len(fitting)} places held fit this row ({How(how).label})")
        return None

    def held_as_another_kind(self, query: PlaceQuery, namesakes: list[City]) -> Reconciliation | None:
        """A row calling itself a city whose name and country are those of a body or district
        held ('Greater Manchester', 'Kadikoy'): lists disagree on kinds, so a person decides
        whether it is that place or a city of its own. Never silently a second place."""
        held = []
        for city in namesakes:
            if city.kind != CityKind.CITY and all(city is not other for other in held):
                held.append(city)
        if not held:
            return None
        kinds = " or ".join(sorted({CityKind(city.kind).label.lower() for city in held}))
        return self.doubtful(
            held,
            f"{KIND_DOUBT}; Citynet holds a place of this name as a {kinds}: "
            "pick it if it is the same place, or make a new city",
        )

    def doubtful(self, cities: list[City], note: str) -> Reconciliation:
        candidates = [Candidate(reason=note, city=city) for city in cities]
        return Reconciliation(Status.DOUBTFUL, candidates=candidates, note=note)

    def suggestions(self, query: PlaceQuery) -> list[Candidate]:
        """Places held in the row's country whose folded names are close (never a match)."""
        choices = self.folded_in_country.get(query.country)
        if not choices:
            return []
        found = process.extract(
            fold(split_state(query.name)[0]),
            choices,
            scorer=fuzz.token_sort_ratio,
            score_cutoff=SUGGESTION_SCORE,
            limit=5,
        )
        candidates = []
        for _, score, key in found:
            for city in self.by_folded[(key, query.country)]:
                # A region is never suggested for a city, nor a city for a region.
                if not query.kind or city.kind == query.kind or CityKind.CITY not in (city.kind, query.kind):
                    candidates.append(Candidate(reason=f"close spelling ({score:.0f}%)", city=city, score=score))
        return candidates

    def new_place(
        self, query: PlaceQuery, *, places: list[GeoNamesPlace] | None = None, note: str = ""
    ) -> Reconciliation:
        """A place not held: placed from GeoNames when one GeoNames place is clearly it."""
        name, state = split_state(query.name)
        if query.kind not in ("", CityKind.CITY):
            # GeoNames' populated places are cities; a body or region is not one of them.
            return Reconciliation(Status.NEW_UNPLACED, note=note or "not a city: GeoNames has no point for it")
        if places is None:
            places = self.geonames_places(name, query.country)
        if query.geonames_id:
            chosen = [place for place in places if place.geonameid == query.geonames_id]
            places = chosen or list(GeoNamesPlace.objects.filter(geonameid=query.geonames_id))
        if state:
            places = [place for place in places if place.admin1_code == state] or places
        clear = self.clear_place(name, places)
        if clear is not None:
            return Reconciliation(Status.NEW_PLACED, geonames=clear, note=note)
        if places:
            why = f"{len(places)} GeoNames places of this name in {query.country}, none clearly it"
        else:
            why = f"no GeoNames place of this name in {query.country}"
        return Reconciliation(
            Status.NEW_UNPLACED,
            note="; ".join(part for part in (note, why) if part),
            candidates=[Candidate(reason="GeoNames place of this name", geonames=place) for place in places[:5]],
        )

    @staticmethod
    def clear_place(name: str, places: list[GeoNamesPlace]) -> GeoNamesPlace | None:
        """The one GeoNames place `name` names: the only one, the only one whose own name
        it is, or one far more populous than the rest (Paris FR, not Paris's namesakes)."""
        if len(places) == 1:
            return places[0]
        own = [place for place in places if fold(name) in (fold(place.name), fold(place.ascii_name))]
        if len(own) == 1:
            return own[0]
        ranked = own or places
        if len(ranked) > 1 and ranked[0].population >= CLEAR_POPULATION_RATIO * max(ranked[1].population, 1):
            return ranked[0]
        return None


def place_values(query: PlaceQuery, answer: Reconciliation) -> dict:
    """What a new place gets from GeoNames: coordinates, population (indicative, with its
    source) and the GeoNames record; or a note that it has no coordinates, and why."""
    place = answer.geonames
    if place is None:
        return {"coordinates_note": f"No coordinates: {answer.note}"[:200]} if answer.note else {}
    return {
        "latitude": place.latitude,
        "longitude": place.longitude,
        "population": place.population or None,
        "population_source": GEONAMES_POPULATION_SOURCE if place.population else "",
        "geonames_id": place.geonameid,
        "geonames_name": place.name,
        "geonames_note": f"matched by name and country on import ({place.label})",
    }

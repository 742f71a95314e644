"""Which place of the register a project's case (set, or source) names: the place register's
reconciliation (`cities.reconcile`), read for an import that never creates places.

A case's place comes as a name, with a country from a variable or from the name itself
('Copenhagen (DK)', 'Porto Alegre, Brazil'), and a kind where a variable says one
('place kind: metropolitan') or the name does ('Città metropolitana di Torino', 'Region
Hovedstaden'). With a country, the reconciliation answers as it does for a member list: an
editor's earlier decision, name and country, folded name and country ('City of Oslo',
'KØBENHAVN'), or a GeoNames alternate name of a place held ('Copenhagen' for København).
Without one, each country whose places held bear the name (folded, or as a GeoNames
alternate name; failing those, a close spelling of it) is tried, and the case is matched
only when one place in one country answers.

Doubtful, never picked: close spellings, several places (in one country or several), a
name listing several places, and a city and a metropolitan body (or region) of one name
when the case does not say which; their places are the candidates the editor chooses
from. A metropolitan body never matches the city of its name, nor a city the body. What
the reconciliation would make a new place is not in the register: the editor chooses a
place held, and none is created.
"""

import re
from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field

from rapidfuzz import fuzz
from rapidfuzz import process

from cities.countries import country_code
from cities.models import City
from cities.models import CityKind
from cities.names import fold
from cities.names import plain
from cities.reconcile import SUGGESTION_SCORE
from cities.reconcile import PlaceQuery
from cities.reconcile import Reconciler
from cities.reconcile import Reconciliation
from cities.reconcile import Status
from cities.reconcile import split_state

IN_PARENTHESES = re.compile(r"^(?P<name>.+?)\s*\((?P<country>[^()]+)\)$")
# What a case's kind variable may say, folded -> CityKind.
KIND_WORDS = {
    **{value: value for value in CityKind.values},
    **{plain(str(label)): value for value, label in CityKind.choices},
    "municipality": CityKind.CITY,
    "town": CityKind.CITY,
    "metropolitan body": CityKind.METROPOLITAN,
    "metropolitan area": CityKind.METROPOLITAN,
    "metropolitan region": CityKind.METROPOLITAN,
    "metropolis": CityKind.METROPOLITAN,
    "region": CityKind.METROPOLITAN,
    "regional body": CityKind.METROPOLITAN,
    "grouping of municipalities": CityKind.GROUPING,
}
# Words of a name that make it a metropolitan or regional body, not the city of its name.
BODY_WORDS = {
    "metropolitan",
    "metropole",
    "metropolitaine",
    "metropolitana",
    "metropolitano",
    "metropolregion",
    "region",
    "regional",
    "regione",
    "regio",
    "regiao",
    "agglomeration",
}
BODY_PHRASES = ("combined authority", "city region")


@dataclass
class PlaceMatch:
    """The place held a case names (`city`), or the places the editor chooses among
    (`candidates`); `how` is what the preview says."""

    city: City | None = None
    candidates: list[City] = field(default_factory=list)
    how: str = ""


def read_kind(text: str) -> str:
    """The CityKind a variable's value says ('Metropolitan', 'region', 'city'), or ''."""
    return KIND_WORDS.get(plain(text), "")


def kind_in_name(name: str) -> str:
    """METROPOLITAN for names of metropolitan or regional bodies ('Metropolitan City of
    Turin', 'Région Île-de-France', 'Greater Manchester Combined Authority'), else ''."""
    text = plain(name)
    if BODY_WORDS & set(text.split()) or any(phrase in text for phrase in BODY_PHRASES):
        return CityKind.METROPOLITAN
    return ""


def read_country(name: str, variable: str = "") -> tuple[str, str, str]:
    """(name, alpha-2 code or '', problem): the country from the variable ('Norway', 'NOR',
    'NO') and from the name ('Copenhagen (DK)', 'Porto Alegre, Brazil'), the name without it.
    After a comma only a country's name (or the variable's code) is read as one: 'Abington,
    MA' is a place in a state."""
    given = ""
    if variable.strip():
        try:
            given, _note = country_code(variable)
        except ValueError as error:
            return name, "", f"country {variable!r}: {error}"
    said = ""
    found = IN_PARENTHESES.match(name)
    if found:
        try:
            said, _note = country_code(found["country"])
            name = found["name"].strip()
        except ValueError:
            pass
    else:
        head, comma, tail = name.rpartition(",")
        if comma and head.strip():
            try:
                code, _note = country_code(tail)
            except ValueError:
                code = ""
            if code and (len(tail.strip()) > 3 or code == given):
                said, name = code, head.strip()
    if said and given and said != given:
        return name, "", f"the name says {said}, the country variable {given}: choose the place"
    return name, given or said, ""


def describe(city: City, reason: str = "") -> str:
    extra = f"; {reason}" if reason else ""
    return f"{city.slug} ({city.name}, {city.country}, {city.get_kind_display().lower()}{extra})"


class PlaceFinder:
    """Finds the places of many cases with one read of the register (a `Reconciler`)."""

    def __init__(self):
        self.reconciler = Reconciler()
        self.countries_by_key: dict[str, set[str]] = defaultdict(set)
        for key, country in self.reconciler.by_folded:
            self.countries_by_key[key].add(country)

    def find(self, name: str, country: str = "", kind: str = "") -> PlaceMatch:
        """The place held that `name` (in `country`, as a variable gives it) names, or the
        candidates for the editor; never a new place. `kind` is a CityKind or ''."""
        name = " ".join(name.split())
        if not name:
            return PlaceMatch(how="no place named: choose one (none is created)")
        by_slug = City.objects.filter(slug=name).first()
        if by_slug is not None:
            return PlaceMatch(city=by_slug, how="matched by slug")
        name, code, problem = read_country(name, country)
        if problem:
            return PlaceMatch(how=problem)
        kind = kind or kind_in_name(name)
        if code:
            answers = {code: self.reconciler.reconcile(PlaceQuery(name=name, country=code, kind=kind))}
        else:
            answers = {
                each: self.reconciler.reconcile(PlaceQuery(name=name, country=each, kind=kind))
                for each in self.countries_of(name)
            }
        return self.verdict(name, kind, answers, country_given=bool(code))

    def countries_of(self, name: str) -> list[str]:
        """The countries whose places held bear `name`: folded, or as a GeoNames alternate
        name of a place held; failing those, a close spelling of it."""
        base = split_state(name)[0]
        countries = set(self.countries_by_key.get(fold(base), ()))
        reconciler = self.reconciler
        reconciler.prepare([PlaceQuery(name=base, country="")])
        for key in {plain(base)[:200], fold(base)[:200]} - {""}:
            for place in reconciler.geonames.get(key, []):
                held = reconciler.by_geonames_id.get(place.geonameid)
                if held is not None:
                    countries.add(held.country)
        if not countries:
            for each, choices in reconciler.folded_in_country.items():
                close = process.extractOne(
                    fold(base), choices, scorer=fuzz.token_sort_ratio, score_cutoff=SUGGESTION_SCORE
                )
                if close:
                    countries.add(each)
        return sorted(countries)

    def verdict(self, name: str, kind: str, answers: dict[str, Reconciliation], *, country_given: bool) -> PlaceMatch:
        matched = [(each, answer) for each, answer in answers.items() if answer.status == Status.MATCHED]
        doubtful = [answer for answer in answers.values() if answer.status == Status.DOUBTFUL]
        if len(matched) == 1 and not doubtful:
            each, answer = matched[0]
            how = answer.label
            if not country_given:
                how += f" ({each}: the case names no country; the only one whose places held bear the name)"
            if not kind:
                # A city and a metropolitan body (or region) of one name: the case must say which.
                others = [
                    city
                    for city in self.reconciler.by_folded.get((fold(split_state(name)[0]), each), [])
                    if city.kind != answer.city.kind
                ]
                if others:
                    cities = [answer.city, *others]
                    options = ", ".join(describe(city) for city in cities)
                    return PlaceMatch(
                        candidates=cities,
                        how=f"{Status.DOUBTFUL.label} (places of different kinds bear the name {name!r}): "
                        f"{options}; choose one (no place is created)",
                    )
            return PlaceMatch(city=answer.city, how=how)
        if matched and not doubtful:
            cities = [answer.city for _each, answer in matched]
            options = ", ".join(city.slug for city in cities)
            return PlaceMatch(
                candidates=cities,
                how=f"{len(cities)} places are named {name!r} ({options}): choose one (no place is created)",
            )
        if matched or doubtful:
            cities, options, reasons = [], [], []
            for _each, answer in matched:
                cities.append(answer.city)
                options.append(describe(answer.city, answer.label))
            for answer in doubtful:
                reasons.append(answer.note.partition(":")[0])
                for candidate in answer.candidates:
                    if candidate.city is not None and candidate.city not in cities:
                        cities.append(candidate.city)
                        options.append(describe(candidate.city, candidate.reason))
            why = "; ".join(dict.fromkeys(reason for reason in reasons if reason))
            listed = ", ".join(options) if options else "no place held is close"
            return PlaceMatch(
                candidates=cities,
                how=f"{Status.DOUBTFUL.label} ({why or 'several places'}): {listed}; choose one (no place is created)",
            )
        return PlaceMatch(how=self.not_held(name, kind, list(answers)))

    def not_held(self, name: str, kind: str, countries: list[str]) -> str:
        """Why no place held is it: none of the name, or only places of another kind."""
        where = f" ({', '.join(countries)})" if len(countries) == 1 else ""
        key = fold(split_state(name)[0])
        other_kinds = [
            city
            for each in countries or sorted(self.countries_by_key.get(key, ()))
            for city in self.reconciler.by_folded.get((key, each), [])
            if kind and city.kind != kind
        ]
        if other_kinds:
            label = CityKind(kind).label.lower()
            held = ", ".join(describe(city) for city in other_kinds)
            return f"no {label} named {name!r} in the register{where}: {held} is not it; choose one (none is created)"
        return f"no place named {name!r} in the register{where}: choose one (none is created)"


__all__ = ["PlaceFinder", "PlaceMatch", "kind_in_name", "read_country", "read_kind"]

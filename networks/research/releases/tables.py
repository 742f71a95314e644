"""The tables of a release: every column with its type, description and constraints, and each table
as CSV."""

import csv
import datetime
import io
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field

# --- Tables ----------------------------------------------------------------------------
from cities.models import City
from networks.dates import DatePrecision
from networks.models import Code
from networks.models import Coding
from networks.models import EngagementObservation
from networks.models import Evidence
from networks.models import Membership
from networks.models import Network
from networks.models import Participation
from networks.models import Source
from networks.models import SubNetwork


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str
    get: Callable
    constraints: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    description: str
    rows: Callable[[], Iterable]
    columns: list[Column]
    foreign_keys: list[tuple[str, str]] = field(default_factory=list)  # (column, resource)
    geonames: bool = False
    from_study: bool = False


def _attr(name: str) -> Callable:
    def get(row):
        value = row
        for part in name.split("."):
            value = None if value is None else getattr(value, part)
        return value

    return get


def _choices(choices) -> dict:
    return {"enum": [value for value, _label in choices]}


def col(name: str, type_: str, description: str, get: Callable | str | None = None, **constraints) -> Column:
    return Column(name, type_, description, _attr(get or name) if not callable(get) else get, constraints)


def _id(name: str, description: str) -> Column:
    return col(name, "integer", description)


def release_tables() -> list[Table]:
    precision = _choices(DatePrecision.choices)
    identifier = col("id", "integer", "Citynet's identifier of the row; other tables refer to it.", required=True)
    return [
        Table(
            "cities",
            "Member places",
            "Every member place of a city network: a city, a metropolitan or regional body, a grouping of "
            "cities or a district. Coordinates, populations and GeoNames ids come from GeoNames.",
            lambda: City.objects.order_by("pk"),
            [
                identifier,
                col("slug", "string", "Short unique name used in Citynet's addresses.", required=True, unique=True),
                col("name", "string", "Name of the place.", required=True),
                col("country", "string", "ISO 3166-1 alpha-2 country code.", required=True, pattern="^[A-Z]{2}$"),
                col("kind", "string", "city, metropolitan, grouping or district.", **_choices(City.Kind.choices)),
                col("latitude", "number", "WGS84 latitude in degrees (GeoNames).", minimum=-90, maximum=90),
                col("longitude", "number", "WGS84 longitude in degrees (GeoNames).", minimum=-180, maximum=180),
                col("coordinates_note", "string", "What the point stands for when the member is not one city."),
                col("population", "integer", "Population, indicative only (see population_source)."),
                col("population_source", "string", "Where the population figure comes from."),
                col("geonames_id", "integer", "GeoNames id of the place (for a body, its seat city's)."),
                col("geonames_name", "string", "Name of the matched GeoNames record."),
                col("geonames_note", "string", "How the GeoNames record was matched."),
                col("wikidata_id", "string", "Wikidata item, e.g. Q585."),
            ],
            geonames=True,
        ),
        Table(
            "networks",
            "City networks",
            "Transnational city networks and their facts as the sources report them.",
            lambda: (
                Network.objects.select_related("headquarters")
                .prefetch_related("themes", "regional_offices")
                .order_by("pk")
            ),
            [
                identifier,
                col("slug", "string", "Short unique name used in Citynet's addresses.", required=True, unique=True),
                col("name", "string", "Name of the network.", required=True),
                col("acronym", "string", "Acronym, e.g. 100RC."),
                col("description", "string", "What the network is and does."),
                col("website", "string", "The network's website.", format="uri"),
                col("scope", "string", "global, regional or national.", **_choices(Network.Scope.choices)),
                col("region", "string", "For a regional network, its region."),
                col("focus", "string", "general portfolio or specialised.", **_choices(Network.Focus.choices)),
                col(
                    "themes",
                    "string",
                    "Slugs of the network's themes, separated by '; '.",
                    lambda n: "; ".join(sorted(t.slug for t in n.themes.all())),
                ),
                col("founded", "integer", "Year founded."),
                col("ended", "integer", "Year ended, if it has."),
                col("successor", "string", "What took over when it ended."),
                _id("headquarters_id", "id of the head office's place in cities."),
                col(
                    "regional_office_ids",
                    "string",
                    "ids (in cities) of the regional offices' places, separated by '; '.",
                    lambda n: "; ".join(str(pk) for pk in sorted(c.pk for c in n.regional_offices.all())),
                ),
                col("funder", "string", "Funder or sponsor."),
                col("politically_led", "boolean", "Led by elected politicians of member cities; empty if unknown."),
                col("governance", "string", "How the network is governed."),
                col("membership_criteria", "string", "Who may join."),
                col("reported_member_count", "integer", "Member count the network reports.", minimum=0),
                col("reported_member_count_note", "string", "What the reported count covers."),
                col("reported_member_count_as_of", "date", "Date the reported count refers to."),
                _id("member_count_source_id", "id in sources of where the member count comes from."),
            ],
            foreign_keys=[("headquarters_id", "cities"), ("member_count_source_id", "sources")],
        ),
        Table(
            "memberships",
            "Membership spells",
            "One spell of a place's membership of a network; a place that leaves and rejoins has several. "
            "A start date is the first day of its period and an end date the last (see the precisions).",
            lambda: Membership.objects.order_by("pk"),
            [
                identifier,
                _id("city_id", "id of the member place in cities."),
                _id("network_id", "id of the network in networks."),
                col("type", "string", "Kind of membership.", **_choices(Membership.Type.choices)),
                col("joined", "date", "First day of the period the membership is known to start in."),
                col("joined_precision", "string", "How precisely joined is known.", **precision),
                col("left", "date", "Last day of the period the membership is known to end in; empty if current."),
                col("left_precision", "string", "How precisely left is known.", **precision),
                col("application_round", "integer", "Application round the place was admitted in."),
                col("took_effect", "boolean", "False when the place was admitted but the membership never started."),
                col("listed_on", "date", "Date on which the source lists the place as a member."),
                _id("source_id", "id in sources of where the spell is reported."),
                col("note", "string", "Editor's note."),
            ],
            foreign_keys=[("city_id", "cities"), ("network_id", "networks"), ("source_id", "sources")],
        ),
        Table(
            "subnetworks",
            "Sub-networks",
            "Parts of a network where work happens: forums, working groups, platforms, offices, projects.",
            lambda: SubNetwork.objects.order_by("pk"),
            [
                identifier,
                _id("network_id", "id of the network in networks."),
                _id("parent_id", "id of the sub-network this one belongs to, if any."),
                col("slug", "string", "Short name, unique within the network.", required=True),
                col("name", "string", "Name of the sub-network.", required=True),
                col("kind", "string", "Kind of sub-network.", **_choices(SubNetwork.Kind.choices)),
                col("permanent", "boolean", "Permanent (true) or temporary (false); empty if unknown."),
                col("description", "string", "What it does."),
                _id("source_id", "id in sources of where it is reported."),
            ],
            foreign_keys=[("network_id", "networks"), ("parent_id", "subnetworks"), ("source_id", "sources")],
        ),
        Table(
            "participations",
            "Participations",
            "Which unit of a city's administration takes part in a network or one of its sub-networks, and how much.",
            lambda: Participation.objects.order_by("pk"),
            [
                identifier,
                _id("city_id", "id of the place in cities."),
                _id("network_id", "id of the network in networks."),
                _id("subnetwork_id", "id of the sub-network in subnetworks; empty for the network as a whole."),
                col("unit", "string", "Department, body or role.", required=True),
                col("unit_kind", "string", "Kind of unit.", **_choices(Participation.UnitKind.choices)),
                col("involvement", "string", "How much it takes part.", **_choices(Participation.Involvement.choices)),
                col("since", "date", "Start (first day of its period)."),
                col("since_precision", "string", "How precisely since is known.", **precision),
                col("until", "date", "End (last day of its period)."),
                col("until_precision", "string", "How precisely until is known.", **precision),
                col("note", "string", "Editor's note."),
                _id("source_id", "id in sources of where it is reported."),
                col("locator", "string", "Page or interview in the source."),
            ],
            foreign_keys=[
                ("city_id", "cities"),
                ("network_id", "networks"),
                ("subnetwork_id", "subnetworks"),
                ("source_id", "sources"),
            ],
            from_study=True,
        ),
        Table(
            "codes",
            "Codebook",
            "The codes applied to a city's use of a network: network functions and logics of participation, "
            "by codebook version.",
            lambda: Code.objects.select_related("version").order_by("pk"),
            [
                identifier,
                col("version", "string", "Label of the codebook version.", "version.label", required=True),
                col("version_is_current", "boolean", "Whether that version is the current one.", "version.is_current"),
                col("code", "string", "Short name of the code, unique within its version.", required=True),
                col("name", "string", "Name of the code.", required=True),
                col("kind", "string", "function or logic.", **_choices(Code.Kind.choices)),
                col("position", "integer", "Order within its kind.", minimum=0),
                col("definition", "string", "What the code means.", required=True),
                col("when_to_use", "string", "Coding guidance: when to apply it."),
                col("when_not_to_use", "string", "Coding guidance: when not to."),
                col("example", "string", "An example."),
            ],
        ),
        Table(
            "sources",
            "Sources",
            "Where facts and codes come from: the study, its interviews, documents, web pages, member lists.",
            lambda: Source.objects.order_by("pk"),
            [
                identifier,
                col("kind", "string", "Kind of source.", **_choices(Source.Kind.choices)),
                col("label", "string", "Short form used in citations, e.g. 'Interview 1, 2018'."),
                col("citation", "string", "Full citation.", required=True, unique=True),
                col("url", "string", "Address, if any.", format="uri"),
                col("year", "integer", "Year of the source."),
                _id("part_of_id", "For an interview: id of the study that reports it."),
                col("interview_number", "integer", "Number of the interview in its study."),
                col("organisation", "string", "For an interview: the city or network interviewed."),
                col("informant_role", "string", "For an interview: the informant's role."),
            ],
            foreign_keys=[("part_of_id", "sources")],
        ),
        Table(
            "codings",
            "Codings",
            "A code applied to a city's use of a network, or (city_id empty) to what a network as a whole says "
            "it offers. Salience: 3 central, 2 important, 1 minor, 0 explicitly not important.",
            lambda: Coding.objects.select_related("coder").order_by("pk"),
            [
                identifier,
                _id("city_id", "id of the place in cities; empty for the network as a whole."),
                _id("network_id", "id of the network in networks."),
                _id("code_id", "id of the code in codes."),
                col(
                    "salience",
                    "integer",
                    "How strongly the informants stress it, 0-3; empty where the code applies but was not rated.",
                    minimum=0,
                    maximum=3,
                ),
                col(
                    "outcome",
                    "string",
                    "Whether the city says it gets it; empty where it does not apply.",
                    **_choices(Coding.Outcome.choices),
                ),
                col("perspective", "string", "Whose view is coded.", **_choices(Coding.Perspective.choices)),
                col("coder", "string", "Who assigned the code (a person or a named seed coding).", "coder.name"),
                col("coded_at", "datetime", "When it was coded (UTC, to the second)."),
                col("note", "string", "Coder's note."),
            ],
            foreign_keys=[("city_id", "cities"), ("network_id", "networks"), ("code_id", "codes")],
            from_study=True,
        ),
        Table(
            "evidence",
            "Evidence",
            "The passages a coding rests on: quotes and paraphrases with their source and page. A release "
            "is public: paraphrase-only evidence gives its public paraphrase, restricted evidence (e.g. a "
            "confidential interview) only its kind and source, so every coding keeps its count of evidence.",
            # As the public sees it (networks.visibility): the verbatim text of non-public evidence is never read.
            lambda: Evidence.objects.for_reader(None).order_by("pk"),
            [
                identifier,
                _id("coding_id", "id of the coding in codings."),
                _id("source_id", "id of the source in sources."),
                col("position", "integer", "Order among the coding's evidence.", minimum=0),
                col(
                    "locator",
                    "string",
                    "Page, section or time in the source, e.g. 'p. 72'; empty for restricted evidence.",
                    "shown_locator",
                ),
                col("kind", "string", "quote or paraphrase.", "shown_kind", **_choices(Evidence.Kind.choices)),
                col(
                    "visibility",
                    "string",
                    "public (a public quote), paraphrase (paraphrase only) or restricted.",
                    **_choices(Evidence.Visibility.choices),
                ),
                col(
                    "text",
                    "string",
                    "The passage (in English); the public paraphrase of paraphrase-only evidence; empty for "
                    "restricted evidence.",
                    "shown_text",
                ),
                col(
                    "original_text",
                    "string",
                    "The passage in the source's own language; empty unless the evidence is public.",
                    "shown_original_text",
                ),
                col("language", "string", "Language of the original text, e.g. da."),
            ],
            foreign_keys=[("coding_id", "codings"), ("source_id", "sources")],
            from_study=True,
        ),
        Table(
            "engagement_observations",
            "Engagement observations",
            "How engaged a city was in a network at a date, as a source reports it (0 none to 3 high).",
            lambda: EngagementObservation.objects.order_by("pk"),
            [
                identifier,
                _id("city_id", "id of the place in cities."),
                _id("network_id", "id of the network in networks."),
                col("observed_on", "date", "Date observed (first day of its period).", required=True),
                col("observed_precision", "string", "How precisely observed_on is known.", **precision),
                col("approximate", "boolean", "The source says 'about' or 'around'."),
                col("level", "integer", "0 none, 1 low, 2 moderate, 3 high.", minimum=0, maximum=3),
                col("is_peak", "boolean", "The source calls this the peak."),
                col("note", "string", "Editor's note."),
                _id("source_id", "id in sources of where it is reported."),
                col("locator", "string", "Page or interview in the source."),
            ],
            foreign_keys=[("city_id", "cities"), ("network_id", "networks"), ("source_id", "sources")],
            from_study=True,
        ),
    ]


def csv_value(value) -> str:
    """One cell as the data package declares it: empty for missing, true/false, ISO dates,
    UTC date-times to the second."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def table_csv(table: Table, rows: Iterable) -> tuple[bytes, int]:
    """The table as CSV bytes (header row, LF line ends) and its number of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([column.name for column in table.columns])
    count = 0
    for row in rows:
        writer.writerow([csv_value(column.get(row)) for column in table.columns])
        count += 1
    return buffer.getvalue().encode("utf-8"), count

"""Strict inputs: a malformed boolean or page size, an unknown or misspelt parameter is a 400
naming the parameter, on every list, facet, aggregate and portfolio, in JSON and CSV; an
explicit `format` wins over the Accept header, whose q-values count."""

import csv
import io

import pytest
from django_filters import BooleanFilter

from networks import filters
from tests.factories import CityFactory
from tests.factories import CodeFactory
from tests.factories import CodingFactory
from tests.factories import EngagementObservationFactory
from tests.factories import EvidenceFactory
from tests.factories import MembershipFactory
from tests.factories import NetworkFactory
from tests.factories import SubNetworkFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def data():
    """A little of everything: a spell, a sub-network, a coding with evidence, an observation."""
    eurocities = NetworkFactory(slug="eurocities", name="Eurocities")
    oslo = CityFactory(slug="oslo", name="Oslo", country="NO")
    MembershipFactory(city=oslo, network=eurocities)
    SubNetworkFactory(network=eurocities)
    coding = CodingFactory(city=oslo, network=eurocities, code=CodeFactory(code="knowledge"))
    EvidenceFactory(coding=coding)
    EngagementObservationFactory(city=oslo, network=eurocities)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# 1. Booleans: true/false (1/0, yes/no), nothing else.

BOOLEAN_PARAMETERS = [
    ("/api/v1/memberships/", "current"),
    ("/api/v1/memberships/", "took_effect"),
    ("/api/v1/networks/", "politically_led"),
    ("/api/v1/subnetworks/", "permanent"),
    ("/api/v1/codes/", "current"),
    ("/api/v1/codings/", "network_as_whole"),
    ("/api/v1/evidence/", "network_as_whole"),
    ("/api/v1/engagement/", "is_peak"),
]


@pytest.mark.parametrize(("url", "name"), BOOLEAN_PARAMETERS)
@pytest.mark.parametrize("value", ["maybe", "2", "truee", "-1"])
def test_a_malformed_boolean_is_400_naming_the_parameter(client, url, name, value):
    response = client.get(f"{url}?{name}={value}")
    assert response.status_code == 400, response.content
    assert list(response.json()) == [name]
    assert "true" in response.json()[name][0] and "false" in response.json()[name][0]


@pytest.mark.parametrize(("url", "name"), BOOLEAN_PARAMETERS)
@pytest.mark.parametrize("value", ["true", "false", "True", "FALSE", "1", "0", "yes", "no", ""])
def test_a_well_formed_boolean_is_taken(client, data, url, name, value):
    assert client.get(f"{url}?{name}={value}").status_code == 200


def test_a_malformed_boolean_in_facets_and_csv_is_400(client, data):
    assert client.get("/api/v1/memberships/facets/?dimension=country&current=maybe").status_code == 400
    response = client.get("/api/v1/memberships/?format=csv&current=maybe")
    assert response.status_code == 400
    assert "current" in response.content.decode()


def test_yes_and_1_filter_like_true(client):
    eurocities = NetworkFactory(slug="eurocities")
    MembershipFactory(network=eurocities, took_effect=False)
    MembershipFactory(network=eurocities)
    counts = {
        value: client.get(f"/api/v1/memberships/?took_effect={value}").json()["count"] for value in "1 yes 0 no".split()
    }
    assert counts == {"1": 1, "yes": 1, "0": 1, "no": 1}


def filtersets() -> list[type]:
    found, todo = set(), [filters.ApiFilterSet]
    while todo:
        for subclass in todo.pop().__subclasses__():
            found.add(subclass)
            todo.append(subclass)
    return sorted(found, key=lambda filterset: filterset.__qualname__)


def test_every_boolean_filter_is_strict():
    booleans = [
        (filterset, name)
        for filterset in filtersets()
        if filterset._meta.model is not None  # not the abstract coding_filters() base
        for name, declared in filterset.base_filters.items()
        if isinstance(declared, BooleanFilter)
    ]
    assert len(booleans) >= 7
    for filterset, name in booleans:
        form = filterset({name: "maybe"}).form
        assert not form.is_valid(), (filterset, name)
        assert name in form.errors


def test_the_schema_keeps_booleans_boolean(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    parameters = schema["paths"]["/api/v1/memberships/"]["get"]["parameters"]
    (current,) = [parameter for parameter in parameters if parameter["name"] == "current"]
    # A boolean, or empty (no filter, as a form sends it): never any other string.
    assert current["schema"]["oneOf"] == [{"type": "boolean"}, {"type": "string", "maxLength": 0}]


# 2. Page sizes: a whole number from 1; above 500 is capped.


@pytest.mark.parametrize("value", ["0", "-1", "abc", "1.5", "%C2%B2", "1e3", "%2B5", "%205"])
def test_a_malformed_page_size_is_400_naming_the_range(client, value):
    response = client.get(f"/api/v1/cities/?page_size={value}")
    assert response.status_code == 400, response.content
    (message,) = response.json()["page_size"]
    assert "1" in message and "500" in message


def test_a_malformed_page_size_is_400_in_csv_too(client):
    response = client.get("/api/v1/cities/?format=csv&page_size=0")
    assert response.status_code == 400
    assert "page_size" in response.content.decode()


@pytest.mark.parametrize(("value", "shown"), [("501", 3), ("99999999999999", 3), ("0000000000000000000002", 2)])
def test_a_page_size_above_500_is_capped(client, value, shown):
    CityFactory.create_batch(3)
    response = client.get(f"/api/v1/cities/?page_size={value}")
    assert response.status_code == 200
    assert len(response.json()["results"]) == shown


def test_a_page_size_in_range_sizes_the_page(client):
    CityFactory.create_batch(3)
    assert len(client.get("/api/v1/cities/?page_size=2").json()["results"]) == 2
    assert len(client.get("/api/v1/cities/?page_size=").json()["results"]) == 3


# 3. Unknown parameters.


@pytest.mark.parametrize(
    ("url", "unknown"),
    [
        ("/api/v1/memberships/?netwrok=eurocities", "netwrok"),
        ("/api/v1/memberships/?network=eurocities&joined_afer=2000-01-01", "joined_afer"),
        ("/api/v1/memberships/?joined=2000-01-01", "joined"),
        ("/api/v1/memberships/?format=csv&netwrok=eurocities", "netwrok"),
        ("/api/v1/cities/?contry=NO", "contry"),
        ("/api/v1/networks/?ordering=name&sort=name", "sort"),
        ("/api/v1/codings/?salience=3", "salience"),
        ("/api/v1/evidence/?q=city", "q"),
        ("/api/v1/engagement/?observed_on=2019-01-01", "observed_on"),
        ("/api/v1/releases/?search=x", "search"),
        ("/api/v1/releases/?year=2024", "year"),
        ("/api/v1/memberships/facets/?dimension=country&netwrok=eurocities", "netwrok"),
        ("/api/v1/memberships/facets/?dimension=country&format=csv&x=1", "x"),
        ("/api/v1/cities/facets/?dimensions=country", "dimensions"),
        ("/api/v1/matrix/?network=eurocities&cities=oslo", "cities"),
        ("/api/v1/matrix/?format=csv&page_size=2", "page_size"),
        ("/api/v1/agreement/?city=oslo", "city"),
        ("/api/v1/agreement/?netwrok=eurocities", "netwrok"),
        ("/api/v1/cities/oslo/portfolio/?network=eurocities", "network"),
        ("/api/v1/cities/oslo/portfolio/?format=csv&page_size=10", "page_size"),
        ("/api/v1/cities/oslo/?netwrok=eurocities", "netwrok"),
    ],
)
def test_an_unknown_parameter_is_400_naming_it_and_the_accepted_ones(client, data, url, unknown):
    response = client.get(url)
    assert response.status_code == 400, body(response)
    text = body(response).decode()
    assert unknown in text
    if "format=csv" not in url:
        (message,) = response.json()[unknown]
        assert "format" in message.split("Accepted: ")[1]


def test_the_message_lists_the_accepted_parameters(client):
    (message,) = client.get("/api/v1/engagement/?observed_on=2019-01-01").json()["observed_on"]
    accepted = set(message.split("Accepted: ")[1].rstrip(".").split(", "))
    assert {"observed_after", "observed_before", "network", "is_peak", "search", "ordering"} <= accepted
    assert {"page", "page_size", "format"} <= accepted
    assert "observed" not in accepted
    (message,) = client.get("/api/v1/agreement/?city=oslo").json()["city"]
    assert message.endswith("Accepted: format, network, page.")


@pytest.mark.parametrize(
    "url", ["/api/v1/matrix/?page=2", "/api/v1/agreement/?page=0", "/api/v1/cities/oslo/portfolio/?page=last"]
)
def test_an_aggregate_is_one_page(client, data, url):
    assert client.get(url).json() == {"page": ["This is not paginated: its one page is 1."]}
    assert client.get(url.split("?")[0] + "?page=1").status_code == 200


def test_several_unknown_parameters_are_all_named(client):
    assert set(client.get("/api/v1/cities/?a=1&b=2&country=NO").json()) == {"a", "b"}


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/memberships/?network=eurocities&joined_after=2000-01-01&joined_before=2030-01-01&current=true"
        "&search=oslo&ordering=-joined&page=1&page_size=10",
        "/api/v1/memberships/?format=csv&network=eurocities&left_after=2000-01-01&page_size=10",
        "/api/v1/memberships/?format=json",
        "/api/v1/engagement/?observed_after=2000-01-01&observed_before=2030-01-01&is_peak=false",
        "/api/v1/memberships/facets/?dimension=country&network=eurocities&format=csv",
        "/api/v1/codings/facets/?dimension=code&search=x&network_as_whole=false",
        "/api/v1/matrix/?network=eurocities&city=oslo&city=copenhagen&format=json",
        "/api/v1/agreement/?network=eurocities&format=csv",
        "/api/v1/cities/oslo/portfolio/?format=csv",
        "/api/v1/cities/oslo/portfolio/",
        "/api/v1/cities/oslo/?format=json",
        "/api/v1/codes/knowledge/?version=nosuchversion",
        "/api/v1/releases/?page=1&page_size=5",
        "/api/v1/memberships/?format=api",
    ],
)
def test_the_accepted_parameters_are_taken(client, data, url):
    response = client.get(url)
    assert response.status_code in (200, 404), body(response)
    assert b"Unknown parameter" not in body(response)


def test_every_parameter_the_schema_documents_is_accepted(client, data):
    """Each GET operation's documented query parameters, given at once, are none of them unknown."""
    schema = client.get("/api/v1/schema/?format=json").json()
    samples = {"oslo": "oslo", "knowledge": "knowledge", "eurocities": "eurocities"}
    checked = 0
    for path, operations in schema["paths"].items():
        if "get" not in operations or path.endswith(("/schema/", "/docs/", "/redoc/")):
            continue
        url = path.replace("{slug}", "oslo").replace("{code}", "knowledge").replace("{id}", "1")
        url = url.replace("{label}", "none")
        names = [p["name"] for p in operations["get"].get("parameters", []) if p["in"] == "query"]
        response = client.get(url, {name: samples.get(name, "") for name in names})
        assert b"Unknown parameter" not in body(response), (path, body(response))
        checked += 1
    assert checked > 20


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/schema/?format=json&lang=en",
        "/api/v1/schema/?lang=de",
        "/api/v1/docs/?anything=1",
        "/api/v1/redoc/?anything=1",
        "/api/v1/?anything=1",
    ],
)
def test_the_docs_and_root_keep_their_own_parameters(client, url):
    assert client.get(url).status_code == 200


def test_a_write_takes_the_format_parameter(staff_client):
    NetworkFactory(slug="eurocities")
    payload = {"slug": "oslo", "name": "Oslo", "country": "NO", "kind": "city"}
    response = staff_client.post("/api/v1/cities/?format=json", payload, content_type="application/json")
    assert response.status_code == 201, response.content


# 4. Content negotiation: an explicit format wins; q-values count.


def test_an_explicit_format_wins_over_the_accept_header(client, data):
    response = client.get("/api/v1/cities/?format=csv", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(
        csv.DictReader(
            io.StringIO("".join(line for line in body(response).decode().splitlines(True) if line[0] != "#"))
        )
    )
    assert [row["slug"] for row in rows] == ["oslo"]
    response = client.get("/api/v1/cities/?format=json", HTTP_ACCEPT="text/csv")
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["count"] == 1


@pytest.mark.parametrize(
    "url", ["/api/v1/matrix/?format=csv", "/api/v1/agreement/?format=csv", "/api/v1/cities/oslo/portfolio/?format=csv"]
)
def test_an_explicit_format_wins_on_the_aggregates(client, data, url):
    response = client.get(url, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        ("text/csv;q=0.1, application/json", "application/json"),
        ("text/csv; q=0.5, application/json; q=0.9", "application/json"),
        ("application/json;q=0.5, text/csv", "text/csv"),
        ("text/csv;q=0, */*", "application/json"),
        ("text/csv, */*", "text/csv"),
        ("*/*;q=0.1, text/csv;q=0.2", "text/csv"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
        ("application/json;q=0.9, text/html;q=0.1", "application/json"),
        ("", "application/json"),
        ("application/json;q=abc, text/csv;q=0.5", "application/json"),
    ],
)
def test_q_values_in_accept_are_honoured(client, accept, content_type):
    response = client.get("/api/v1/networks/", HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)


def test_nothing_acceptable_is_406_and_an_unknown_format_404(client):
    assert client.get("/api/v1/networks/", HTTP_ACCEPT="image/png").status_code == 406
    assert client.get("/api/v1/networks/", HTTP_ACCEPT="application/json;q=0").status_code == 406
    assert client.get("/api/v1/networks/?format=xlsx", HTTP_ACCEPT="application/json").status_code == 404


def test_media_type_parameters_still_reach_the_renderer(client):
    response = client.get("/api/v1/networks/", HTTP_ACCEPT="application/json; indent=4; q=0.9")
    assert response.status_code == 200
    assert b'\n    "count"' in response.content


# 6. What the schema's fuzzing found: what the schema declares is what is refused.


def test_an_empty_format_names_no_format(client):
    response = client.get("/api/v1/networks/?format=")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"


def test_more_than_100_values_are_refused_even_when_repeated(client):
    response = client.get("/api/v1/memberships/?" + "&".join(["country=NO"] * 101))
    assert response.status_code == 400 and "country" in response.json()
    assert client.get("/api/v1/memberships/?" + "&".join(["country=NO"] * 100)).status_code == 200


def test_empty_values_are_no_filter(client):
    MembershipFactory.create_batch(2)
    response = client.get("/api/v1/memberships/?city=&country=")
    assert response.status_code == 200 and response.json()["count"] == 2


def test_integer_values_keep_their_bounds_in_facets_too(client):
    response = client.get("/api/v1/sources/facets/?dimension=kind&year=14704")
    assert response.status_code == 400 and "year" in response.json()
    assert client.get("/api/v1/sources/facets/?dimension=kind&year=2018").status_code == 200


def test_too_many_parameters_is_a_json_400(client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    response = client.get("/api/v1/memberships/?" + "&".join(f"country=N{n}" for n in range(11)))
    assert response.status_code == 400
    assert response.json()["code"] == "too_many_parameters"


def test_the_https_redirect_keeps_a_write_a_write(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    for method, status in (("patch", 308), ("post", 308), ("get", 301)):
        response = client.generic(method.upper(), "/api/v1/memberships/5/")
        assert response.status_code == status and response["Location"].startswith("https://")


def test_a_text_field_takes_text_not_a_number(staff_client):
    city = CityFactory(slug="oslo", name="Oslo")
    response = staff_client.patch("/api/v1/cities/oslo/", {"name": 0}, content_type="application/json")
    assert response.status_code == 400 and "name" in response.json()
    city.refresh_from_db()
    assert city.name == "Oslo"


def test_an_empty_string_is_no_related_object(staff_client):
    NetworkFactory(slug="eurocities")
    response = staff_client.patch("/api/v1/networks/eurocities/", {"headquarters": ""}, content_type="application/json")
    assert response.status_code == 400 and "headquarters" in response.json()
    ok = staff_client.patch("/api/v1/networks/eurocities/", {"headquarters": None}, content_type="application/json")
    assert ok.status_code == 200


def test_a_version_is_a_date_and_time_not_a_date(staff_client):
    membership = MembershipFactory()
    response = staff_client.patch(
        f"/api/v1/memberships/{membership.pk}/", {"updated_at": "2000-01-01"}, content_type="application/json"
    )
    assert response.status_code == 400 and "updated_at" in response.json()


def test_evidence_items_are_whole_in_a_patch_of_their_coding(staff_client):
    evidence = EvidenceFactory()
    url = f"/api/v1/codings/{evidence.coding_id}/"
    response = staff_client.patch(url, {"evidence": [{"kind": "quote"}]}, content_type="application/json")
    assert response.status_code == 400
    assert "text" in str(response.json()["evidence"])
    assert evidence.coding.evidence.count() == 1


@pytest.mark.parametrize(
    "field, value",
    [("latitude", False), ("latitude", "59.9"), ("population", "5000"), ("population", True)],
)
def test_numbers_are_json_numbers(staff_client, field, value):
    CityFactory(slug="oslo", name="Oslo", latitude=None, longitude=None, population=None)
    response = staff_client.patch("/api/v1/cities/oslo/", {field: value}, content_type="application/json")
    assert response.status_code == 400 and field in response.json()


@pytest.mark.parametrize("value", ["yes", "1", 1, "true"])
def test_booleans_are_json_booleans(staff_client, value):
    subnetwork = SubNetworkFactory(permanent=False)
    url = f"/api/v1/subnetworks/{subnetwork.pk}/"
    response = staff_client.patch(url, {"permanent": value}, content_type="application/json")
    assert response.status_code == 400 and "permanent" in response.json()
    assert staff_client.patch(url, {"permanent": True}, content_type="application/json").status_code == 200


def test_a_version_carries_its_offset(staff_client):
    membership = MembershipFactory()
    url = f"/api/v1/memberships/{membership.pk}/"
    naive = staff_client.patch(url, {"updated_at": "2000-01-01T00:00:00"}, content_type="application/json")
    assert naive.status_code == 400 and "updated_at" in naive.json()


def test_an_empty_choice_is_no_filter_and_a_wrong_one_a_400(client):
    MembershipFactory.create_batch(2)
    assert client.get("/api/v1/cities/?membership_type=&kind=").status_code == 200
    assert client.get("/api/v1/memberships/?ordering=,").json()["count"] == 2
    response = client.get("/api/v1/cities/?membership_type=nonsense")
    assert response.status_code == 400 and "membership_type" in response.json()
    too_many = client.get("/api/v1/cities/?" + "&".join(["kind=city"] * 101))
    assert too_many.status_code == 400 and "kind" in too_many.json()

"""Codings with their evidence, and networks, imported and exported through the admin."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from networks.importing.resources import CodingResource
from networks.importing.resources import NetworkResource
from networks.models import Coding
from networks.models import Evidence
from networks.models import Network
from tests import admin_imports
from tests.admin_imports import problem_cells
from tests.admin_imports import problems
from tests.admin_imports import totals
from tests.factories import CityFactory
from tests.factories import CodebookVersionFactory
from tests.factories import CodeFactory
from tests.factories import CoderFactory
from tests.factories import CodingFactory
from tests.factories import EvidenceFactory
from tests.factories import NetworkFactory
from tests.factories import SourceFactory
from tests.factories import ThemeFactory

pytestmark = [
    pytest.mark.django_db,
    # WhiteNoise warns when collectstatic has not run; the admin pages need no static files.
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

HEADER = (
    "network,city,country_iso2,code,perspective,coder,salience,outcome,"
    "evidence_source,evidence_locator,evidence_kind,evidence_text\n"
)


@pytest.fixture
def study(db):
    """What a researcher's codings refer to: a network, a city, a code, a coder, an interview."""
    return {
        "network": NetworkFactory(slug="eurocities"),
        "city": CityFactory(name="Copenhagen", country="DK"),
        "code": CodeFactory(code="knowledge", version=CodebookVersionFactory(label="2018")),
        "coder": CoderFactory(name="Citynet seed coding"),
        "source": SourceFactory(label="Interview 1, 2018", citation="Interview 1 (2018), city official, Copenhagen."),
    }


def upload(client, model: str, content: str, name="codings.csv"):
    return admin_imports.upload(client, reverse(f"admin:networks_{model}_import"), content, name)


def confirm(client, model: str, preview):
    return admin_imports.confirm(client, reverse(f"admin:networks_{model}_process_import"), preview)


def two_pieces(study) -> str:
    return (
        HEADER
        + f'eurocities,Copenhagen,DK,knowledge,city,Citynet seed coding,3,met,"{study["source"].citation}",p. 4,quote,'
        "We learn from the others.\n"
        + 'eurocities,Copenhagen,DK,knowledge,city,Citynet seed coding,3,met,"Interview 1, 2018",p. 9,paraphrase,'
        "They share their plans.\n"
    )


def test_a_coding_with_two_pieces_of_evidence_imports_as_one_coding(staff_client, staff_user, study):
    preview = upload(staff_client, "coding", two_pieces(study))

    assert totals(preview) == {"new": 2, "update": 0, "skip": 0, "invalid": 0}
    assert not Coding.objects.exists()
    confirm(staff_client, "coding", preview)

    coding = Coding.objects.get()
    assert (coding.city, coding.code, coding.salience, coding.outcome) == (study["city"], study["code"], 3, "met")
    assert list(coding.evidence.order_by("locator").values_list("locator", "kind", "source")) == [
        ("p. 4", "quote", study["source"].pk),
        ("p. 9", "paraphrase", study["source"].pk),  # found by its label
    ]
    assert coding.history.get().history_user == staff_user
    assert Evidence.history.filter(history_type="+").count() == 2


def test_importing_the_codings_again_changes_nothing(staff_client, study):
    confirm(staff_client, "coding", upload(staff_client, "coding", two_pieces(study)))
    histories = Coding.history.count(), Evidence.history.count()

    again = upload(staff_client, "coding", two_pieces(study))

    assert totals(again) == {"new": 0, "update": 0, "skip": 2, "invalid": 0}
    confirm(staff_client, "coding", again)
    assert (Coding.history.count(), Evidence.history.count()) == histories


def test_a_changed_salience_and_new_evidence_are_changes(staff_client, study):
    coding = CodingFactory(
        network=study["network"], city=study["city"], code=study["code"], coder=study["coder"], salience=2
    )
    EvidenceFactory(coding=coding, source=study["source"], text="We learn from the others.", kind="quote")

    response = upload(staff_client, "coding", two_pieces(study))

    assert totals(response) == {"new": 0, "update": 2, "skip": 0, "invalid": 0}


def test_rows_of_one_coding_must_agree_on_its_values(staff_client, study):
    content = two_pieces(study).replace(',3,met,"Interview 1, 2018"', ',2,met,"Interview 1, 2018"')

    response = upload(staff_client, "coding", content)

    assert problems(response) == [(3, "salience", "row 2 gives this coding salience '3'")]
    assert not Coding.objects.exists()


def test_unknown_codes_coders_and_sources_are_row_errors(staff_client, study):
    content = (
        HEADER
        + "eurocities,Copenhagen,DK,lobbying,city,Citynet seed coding,3,met,Interview 1 (2018),p. 4,quote,Text.\n"
        + "eurocities,Copenhagen,DK,knowledge,city,Someone Else,3,met,Interview 9,p. 4,quote,Text.\n"
        + "eurocities,Atlantis,GR,knowledge,city,Citynet seed coding,7,great,,p. 4,,Text.\n"
    )

    response = upload(staff_client, "coding", content)

    assert problem_cells(response) == {
        (2, "code"),
        (2, "evidence_source"),
        (3, "coder"),
        (3, "evidence_source"),
        (4, "city"),
        (4, "outcome"),
        (4, "evidence_source"),
        (4, "evidence_kind"),
    }
    assert not Coding.objects.exists()


def test_a_salience_out_of_range_is_refused_with_the_models_message(staff_client, study):
    content = two_pieces(study).replace(",3,met,", ",7,met,")

    response = upload(staff_client, "coding", content)

    assert (2, "salience", "Ensure this value is less than or equal to 3.") in problems(response)


def test_a_row_without_evidence_is_a_coding_alone(staff_client, study):
    content = HEADER + "eurocities,,,knowledge,network,Citynet seed coding,2,,,,,\n"

    confirm(staff_client, "coding", upload(staff_client, "coding", content))

    coding = Coding.objects.get()
    assert coding.city is None and not coding.evidence.exists()


def test_codings_export_one_row_a_piece_of_evidence_and_import_back_unchanged(staff_client, study):
    confirm(staff_client, "coding", upload(staff_client, "coding", two_pieces(study)))
    fields = {f"codingresource_{column}": "on" for column in CodingResource.columns()}

    exported = staff_client.post(reverse("admin:networks_coding_export"), {"format": "0", "resource": "0", **fields})
    content = exported.content.decode("utf-8-sig")
    again = upload(staff_client, "coding", content)

    assert len(content.strip().splitlines()) == 3
    assert "codebook" in content.splitlines()[0] and ",2018," in content
    assert totals(again) == {"new": 0, "update": 0, "skip": 2, "invalid": 0}


# --- networks -------------------------------------------------------------------------------


def test_networks_import_with_their_themes_and_head_office(staff_client):
    CityFactory(name="Brussels", country="BE", geonames_id=2800866)
    ThemeFactory(name="Climate", slug="climate")
    content = (
        "slug,name,acronym,scope,focus,founded,headquarters,themes,politically_led\n"
        "eurocities,Eurocities,,regional,general,1986,Brussels (BE),climate,yes\n"
    )

    preview = upload(staff_client, "network", content, name="networks.csv")
    confirm(staff_client, "network", preview)
    again = upload(staff_client, "network", content, name="networks.csv")

    network = Network.objects.get()
    assert (network.name, network.founded, network.headquarters.name, network.politically_led) == (
        "Eurocities",
        1986,
        "Brussels",
        True,
    )
    assert list(network.themes.values_list("slug", flat=True)) == ["climate"]
    assert totals(preview)["new"] == 1 and totals(again)["skip"] == 1


def test_a_network_that_ends_before_it_was_founded_is_refused_by_the_database(staff_client):
    content = "slug,name,scope,focus,founded,ended\nodd,Odd Network,global,general,2000,1990\n"

    response = upload(staff_client, "network", content, name="networks.csv")

    assert problems(response) == [(2, "ended", "A network cannot end before it was founded.")]
    assert not Network.objects.exists()


def test_a_second_network_with_a_taken_name_is_refused(staff_client):
    NetworkFactory(name="Eurocities", slug="eurocities")
    content = "slug,name,scope,focus\neurocities-2,Eurocities,global,general\n"

    response = upload(staff_client, "network", content, name="networks.csv")

    assert problems(response) == [(2, "name", "Another network already has this name.")]


def test_unknown_themes_and_cities_are_row_errors(staff_client):
    content = "slug,name,scope,focus,headquarters,themes\nx,X,global,general,Atlantis (GR),nonsense\n"

    response = upload(staff_client, "network", content, name="networks.csv")

    assert {column for _, column, _ in problems(response)} == {"headquarters", "themes"}


def test_networks_export_and_import_back_unchanged(staff_client):
    network = NetworkFactory(
        slug="c40", reported_member_count=97, reported_member_count_as_of=timezone.now().date() - datetime.timedelta(1)
    )
    network.themes.add(ThemeFactory(slug="climate"))
    network.regional_offices.add(CityFactory(name="London", country="GB"))
    fields = {f"networkresource_{column}": "on" for column in NetworkResource.columns()}

    exported = staff_client.post(reverse("admin:networks_network_export"), {"format": "0", "resource": "0", **fields})
    again = upload(staff_client, "network", exported.content.decode("utf-8-sig"), name="networks.csv")

    assert "London (GB)" in exported.content.decode("utf-8-sig")
    assert totals(again) == {"new": 0, "update": 0, "skip": 1, "invalid": 0}

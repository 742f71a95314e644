"""One pipeline for member lists: the admin import and `load_memberships` give the same
result; files as they come (names, countries, encodings, extra columns, NA); doubtful
places decided once; files of many networks through a label mapping."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from cities.models import City
from cities.models import PlaceDecision
from networks.models import Membership
from networks.models import Network
from tests import admin_imports
from tests.factories import CityFactory
from tests.factories import NetworkFactory

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]

IMPORT = reverse("admin:networks_membership_import")
CONFIRM = reverse("admin:networks_membership_process_import")
DECIDE = reverse("admin:networks_membership_import_decide")
# As a list nobody here prepared: English country names, alpha-3, UK, accents, an affix, extra columns.
UNSEEN = (
    "city,country,source,wikidata_id,mayor,website\n"
    "Düsseldorf,Germany,Press list,,A. Mayor,https://x.example\n"
    "City of Rijeka,Croatia,Press list,,B,\n"
    "London,UK,Press list,,C,\n"
    "Reykjavík,ISL,Press list,,D,\n"
    "Brand New Town,The Netherlands,Press list,,E,\n"
    "Ankara,Türkiye,Press list,NA,F,NaN\n"
)


@pytest.fixture
def held(db):
    return [
        CityFactory(name="Dusseldorf", country="DE", geonames_name="Düsseldorf"),
        CityFactory(name="Rijeka", country="HR"),
        CityFactory(name="London", country="GB"),
        CityFactory(name="Reykjavik", country="IS"),
    ]


def outcome() -> list[tuple]:
    return sorted(
        Membership.objects.values_list(
            "city__name", "city__country", "city__latitude", "network__slug", "source__citation", "note", "listed_on"
        )
    )


def load(tmp_path, text: str, *args, name="list.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    out = io.StringIO()
    call_command("load_memberships", str(path), *args, stdout=out)
    return out.getvalue()


def test_an_unseen_list_matches_places_held_and_creates_no_duplicate(held, tmp_path):
    NetworkFactory(slug="net")
    output = load(tmp_path, UNSEEN, "--network", "net")
    assert City.objects.count() == len(held) + 2  # Brand New Town and Ankara
    assert {m.city for m in Membership.objects.select_related("city")} >= set(held)
    assert "Columns ignored (this import does not read them): mayor, website." in output
    assert "places created: 2" in output
    assert City.objects.get(name="Brand New Town").country == "NL"


def test_admin_and_command_line_give_the_same_result(held, staff_client, tmp_path):
    network = NetworkFactory(slug="net")
    preview = admin_imports.upload(staff_client, IMPORT, UNSEEN, "list.csv", network=network.pk)
    admin_imports.confirm(staff_client, CONFIRM, preview)
    through_admin = outcome()
    places_admin = sorted(City.objects.values_list("name", "country", "kind", "latitude", "geonames_id"))
    Membership.objects.all().delete()
    City.objects.exclude(pk__in=[city.pk for city in held]).delete()

    load(tmp_path, UNSEEN, "--network", "net")

    assert through_admin and outcome() == through_admin
    assert sorted(City.objects.values_list("name", "country", "kind", "latitude", "geonames_id")) == places_admin


def test_reimporting_changes_nothing(held, tmp_path):
    NetworkFactory(slug="net")
    load(tmp_path, UNSEEN, "--network", "net")
    before = outcome()
    output = load(tmp_path, UNSEEN, "--network", "net")
    assert "0 new, 0 changed, 6 unchanged" in output
    assert outcome() == before


def test_every_bad_row_is_reported_in_one_pass_and_nothing_is_written(db, tmp_path):
    NetworkFactory(slug="net")
    text = "city,country_iso2,source\nA,ZZ,S\n,NO,S\nC,Atlantis,S\nD,NO,\n"
    with pytest.raises(CommandError) as error:
        load(tmp_path, text, "--network", "net")
    message = str(error.value)
    for expected in ("row 2, country_iso2", "row 3, city", "row 4, country_iso2", "row 5, source"):
        assert expected in message
    assert not City.objects.exists() and not Membership.objects.exists()


def test_a_doubtful_place_blocks_the_import_until_decided_and_is_remembered(db, tmp_path):
    NetworkFactory(slug="net")
    accettura = CityFactory(name="Accettura", country="IT")
    text = 'city,country_iso2,source\n"Accettura, Cirigliano",IT,S\n'
    report = tmp_path / "report.csv"
    with pytest.raises(CommandError, match="doubtful place"):
        load(tmp_path, text, "--network", "net", "--report", str(report))
    assert "doubtful" in report.read_text()
    assert not Membership.objects.exists()

    decisions = tmp_path / "decisions.csv"
    decisions.write_text(f'name,country,kind,decision\n"Accettura, Cirigliano",IT,,{accettura.slug}\n')
    load(tmp_path, text, "--network", "net", "--decisions", str(decisions))
    assert Membership.objects.get().city == accettura
    Membership.objects.all().delete()
    load(tmp_path, text, "--network", "net")  # asks nothing the second time
    assert Membership.objects.get().city == accettura


def test_the_admin_asks_for_doubtful_places_and_stores_the_decision(db, staff_client):
    network = NetworkFactory(slug="net")
    CityFactory(name="Trondheim", country="NO")
    text = "city,country_iso2,source\nTrondhiem,NO,S\n"
    preview = admin_imports.upload(staff_client, IMPORT, text, "list.csv", network=network.pk)
    page = preview.content.decode()
    assert "1 doubtful place" in page and 'name="confirm"' not in page

    fields = {**preview.context["confirm_form"].initial, "decision__trondhiem|NO|": "new"}
    again = staff_client.post(DECIDE, fields)

    assert PlaceDecision.objects.get().city is None
    assert 'name="confirm"' in again.content.decode()
    assert not Membership.objects.exists()


def test_deciding_needs_the_import_permission(db, client, django_user_model):
    user = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    client.force_login(user)
    client.post(DECIDE, {"decision__x|NO|": "new"})
    assert not PlaceDecision.objects.exists()


CLIMACTOR_SHAPE = (
    "name,iso,entity_type,country,area,num_commit,lat,lng,population,population_year,state,admin_1,"
    "initiatives_committed,region\n"
    "Copenhagen,DNK,City,Denmark,NA,3,55.67,12.56,NA,NA,NA,NA,"
    "C40Cities2022;;GCoM2022; C40Cities2019;CDPCities2022 ,NA\n"
    "CA3rdoba,ARG,City,Argentina,NA,1,NA,NA,NA,NA,NA,NA,GCoM2022,NA\n"
    "C\xf3rdoba,ESP,City,Spain,NA,1,NA,NA,NA,NA,NA,NA,GCoM2022;,NA\n"
    "Copenhagen,DNK,Region,Denmark,NA,1,NA,NA,NA,NA,NA,NA,Under2Coalition2022,NA\n"
)
MAPPING = (
    "label,network,listed_on,network_name\n"
    "C40Cities2022,c40,2022,C40 Cities\nC40Cities2019,c40,2019,C40 Cities\n"
    "GCoM2022,gcom,2022,Global Covenant of Mayors\nCDPCities2022,,,\nUnder2Coalition2022,,,\n"
)


def test_a_file_of_many_networks_goes_through_the_label_mapping(db, tmp_path):
    copenhagen = CityFactory(name="Copenhagen", country="DK")
    path = tmp_path / "climactor.csv"
    path.write_bytes(CLIMACTOR_SHAPE.encode("latin-1"))
    mapping = tmp_path / "labels.csv"
    mapping.write_text(MAPPING)
    out = io.StringIO()
    call_command(
        "load_memberships",
        str(path),
        "--mapping",
        str(mapping),
        "--list-column",
        "initiatives_committed",
        "--source",
        "ClimActor",
        stdout=out,
    )
    spells = copenhagen.memberships.order_by("network__slug")
    # C40 as of 2019 and 2022: one spell, listed on the latest
    assert [(s.network.slug, s.listed_on.year) for s in spells] == [("c40", 2022), ("gcom", 2022)]
    assert Network.objects.filter(slug__in=["c40", "gcom"]).count() == 2
    assert City.objects.filter(name="Copenhagen").count() == 1  # the region's row mapped to nothing
    assert City.objects.get(country="ES").name == "Córdoba"
    assert "not all UTF-8" in out.getvalue()


def test_a_label_missing_from_the_mapping_is_named_before_anything_is_written(db, tmp_path):
    path = tmp_path / "climactor.csv"
    path.write_bytes(CLIMACTOR_SHAPE.encode("latin-1"))
    mapping = tmp_path / "labels.csv"
    mapping.write_text("label,network\nGCoM2022,gcom\n")
    with pytest.raises(CommandError, match="label 'C40Cities2022' \\(1 rows\\) is not in the mapping"):
        call_command(
            "load_memberships",
            str(path),
            "--mapping",
            str(mapping),
            "--list-column",
            "initiatives_committed",
            "--source",
            "ClimActor",
        )
    assert not Membership.objects.exists()

"""Files of many networks (one row a place, a list of labels) through the admin and the
command line: the label mapping uploaded or stored, rows per label shown before anything
is written, the same result both ways; and what the preview says of each row's place."""

import csv
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from cities.duplicates import SAME_NAME
from cities.duplicates import likely_duplicates
from cities.models import City
from cities.models import PlaceDecision
from cities.reconcile import Status
from networks.models import Membership
from networks.models import Network
from tests import admin_imports
from tests.factories import CityFactory
from tests.factories import MembershipFactory
from tests.factories import NetworkFactory

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]

IMPORT = reverse("admin:networks_membership_import")
CONFIRM = reverse("admin:networks_membership_process_import")
# In the shape of ClimActor (made up here, warts included): alpha-3 codes, entity types,
# NA, a label list with empty items and spaces, a Latin-1 line, a region named like a city.
MANY = (
    "name,iso,entity_type,country,area,num_commit,lat,lng,population,population_year,state,admin_1,"
    "initiatives_committed,region\n"
    "Copenhagen,DNK,City,Denmark,NA,3,55.67,12.56,NA,NA,NA,NA,"
    "NetA2022;;NetB2022; NetA2019;Platform2022 ,NA\n"
    "Fjordby,NOR,City,Norway,NA,1,60.1,10.2,NA,NA,NA,NA,NetB2022,NA\n"
    "C\xf3rdoba,ESP,City,Spain,NA,1,NA,NA,NA,NA,NA,NA,NetB2022;,NA\n"
    "Copenhagen,DNK,Region,Denmark,NA,1,NA,NA,NA,NA,NA,NA,NetB2022,NA\n"
)
MAPPING = (
    "label,network,listed_on,network_name\n"
    "NetA2022,neta,2022,Network A\nNetA2019,neta,2019,Network A\n"
    "NetB2022,netb,2022,Network B\nPlatform2022,,,\n"
)


def command(tmp_path, text: str = MANY, mapping: str = MAPPING, *args) -> str:
    path, mapping_path = tmp_path / "many.csv", tmp_path / "labels.csv"
    path.write_bytes(text.encode("latin-1"))
    mapping_path.write_text(mapping)
    out = io.StringIO()
    call_command(
        "load_memberships",
        str(path),
        "--mapping",
        str(mapping_path),
        "--list-column",
        "initiatives_committed",
        "--source",
        "A made-up data set",
        *args,
        stdout=out,
    )
    return out.getvalue()


def upload(client, text: str = MANY, mapping: str | None = MAPPING, **fields):
    data = {"list_column": "initiatives_committed", "source": "A made-up data set", **fields}
    if mapping is not None:
        mapping_file = io.BytesIO(mapping.encode())
        mapping_file.name = "labels.csv"
        data["mapping_file"] = mapping_file
    return admin_imports.upload(client, IMPORT, text.encode("latin-1"), "many.csv", **data)


def outcome() -> list[tuple]:
    return sorted(
        Membership.objects.values_list(
            "city__name", "city__country", "city__kind", "city__latitude", "network__slug", "note", "listed_on"
        )
    )


def test_admin_with_an_uploaded_mapping_gives_what_the_command_line_gives(staff_client, tmp_path):
    copenhagen = CityFactory(name="Copenhagen", country="DK")
    preview = upload(staff_client)
    admin_imports.confirm(staff_client, CONFIRM, preview)
    through_admin = outcome()
    places_admin = sorted(City.objects.values_list("name", "country", "kind", "latitude", "geonames_id"))
    Membership.objects.all().delete()
    City.objects.exclude(pk=copenhagen.pk).delete()
    Network.objects.all().delete()

    command(tmp_path)

    assert len(through_admin) == 5 and outcome() == through_admin
    assert sorted(City.objects.values_list("name", "country", "kind", "latitude", "geonames_id")) == places_admin


def test_admin_preview_shows_rows_per_label_and_writes_nothing(staff_client):
    preview = upload(staff_client)
    assert [(row["label"], row["imported_as"], row["rows"]) for row in preview.context["result"].label_rows] == [
        ("NetB2022", "netb as of 2022-12-31", 4),
        ("NetA2019", "neta as of 2019-12-31", 1),
        ("NetA2022", "neta as of 2022-12-31", 1),
        ("Platform2022", "nothing (not a network to import)", 1),
    ]
    assert 'id="label-rows"' in preview.content.decode()
    assert not Network.objects.exists() and not City.objects.exists() and not Membership.objects.exists()


def test_admin_takes_a_stored_mapping(staff_client):
    text = "name,iso,entity_type,initiatives_committed\nFjordby,NOR,City,C40Cities2022;CDP Cities\n"
    preview = upload(staff_client, text, mapping=None, stored_mapping="climactor_labels.csv")
    labels = {row["label"]: row["imported_as"] for row in preview.context["result"].label_rows}
    assert labels["C40Cities2022"] == "c40 as of 2022-12-31"
    admin_imports.confirm(staff_client, CONFIRM, preview)
    assert Membership.objects.get().network.slug == "c40"


def test_admin_names_labels_missing_from_the_mapping_with_their_rows(staff_client):
    preview = upload(staff_client, mapping="label,network\nNetB2022,netb\n")
    page = preview.content.decode()
    assert "label &#x27;NetA2019&#x27; (1 rows) is not in the mapping" in page
    assert "NOT IN THE MAPPING" in page
    assert "confirm_form" not in preview.context or preview.context["confirm_form"] is None
    assert not Network.objects.exists() and not Membership.objects.exists()


def test_admin_refuses_a_mapping_without_a_citation(staff_client):
    preview = upload(staff_client, source="")
    assert "needs its citation" in preview.content.decode()
    assert not Membership.objects.exists()


def test_an_editor_may_not_add_networks_through_a_mapping(client, editor):
    client.force_login(editor)
    preview = upload(client)
    assert "which Citynet lacks" in preview.content.decode()
    assert not Network.objects.exists()


def test_command_line_prints_rows_per_label_before_writing_and_in_the_report(tmp_path):
    report = tmp_path / "report.csv"
    output = command(tmp_path, MANY, MAPPING, "--report", str(report))
    assert output.index("Rows per label (4 labels):") < output.index("membership: 5 new")
    assert "4 rows -> netb as of 2022-12-31" in output
    with (tmp_path / "report.labels.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0] == {
        "label": "NetB2022",
        "imported_as": "netb as of 2022-12-31",
        "network": "netb",
        "listed_on": "2022-12-31",
        "rows": "4",
    }


def test_command_line_lists_rows_per_label_even_when_a_label_is_missing(tmp_path):
    with pytest.raises(CommandError, match="label 'NetA2019' \\(1 rows\\) is not in the mapping"):
        command(tmp_path, MANY, "label,network\nNetB2022,netb\n")
    assert not Network.objects.exists()


def test_a_new_place_placed_from_the_files_coordinates_says_so(tmp_path):
    report = tmp_path / "report.csv"
    command(tmp_path, MANY, MAPPING, "--report", str(report))
    with report.open(encoding="utf-8") as handle:
        rows = {(row["name"], row["kind"]): row for row in csv.DictReader(handle)}
    assert rows[("Fjordby", "city")]["identity"] == "new, coordinates from the file"
    assert rows[("Córdoba", "city")]["identity"] == "new, without coordinates"
    assert City.objects.get(name="Fjordby").latitude == 60.1


def test_doubtful_candidates_show_their_memberships(staff_client):
    held = CityFactory(name="Trondheim", country="NO")
    MembershipFactory.create_batch(2, city=held)
    network = NetworkFactory(slug="net")
    preview = admin_imports.upload(
        staff_client, IMPORT, "city,country_iso2,source\nTrondhiem,NO,S\n", "list.csv", network=network.pk
    )
    (row,) = preview.context["result"].doubtful
    assert "2 memberships" in row["candidates"]
    assert "2 memberships)" in preview.content.decode()


# A list in the same shape whose kinds disagree with Citynet's: it calls a body held a city,
# and names a region like a city held.
KINDS = (
    "name,iso,entity_type,lat,lng,initiatives_committed\n"
    "Greater Harbourton,GBR,City,NA,NA,NetB2022\n"
    "Harbourton,GBR,Region,51.5,-0.1,NetB2022\n"
)


def test_a_city_row_named_like_a_body_held_is_doubtful_never_a_second_place(tmp_path):
    body = CityFactory(name="Greater Harbourton", country="GB", kind=City.Kind.METROPOLITAN)
    CityFactory(name="Harbourton", country="GB", kind=City.Kind.CITY)
    report = tmp_path / "report.csv"
    with pytest.raises(CommandError, match="doubtful place"):
        command(tmp_path, KINDS, MAPPING, "--report", str(report))
    with report.open(encoding="utf-8") as handle:
        rows = {row["name"]: row for row in csv.DictReader(handle)}
    assert rows["Greater Harbourton"]["identity"] == Status.DOUBTFUL.label
    assert body.slug in rows["Greater Harbourton"]["candidates"]
    # A region named like its city is a place of its own (placed from the file).
    assert rows["Harbourton"]["identity"] == "new, coordinates from the file"
    assert City.objects.count() == 2

    PlaceDecision.objects.create(key="greater harbourton", country="GB", kind="city", city=body)
    command(tmp_path, KINDS, MAPPING)
    assert Membership.objects.get(city=body).network.slug == "netb"
    body.refresh_from_db()
    assert body.kind == City.Kind.METROPOLITAN  # the editor's choice does not retype the place held
    assert City.objects.filter(name="Harbourton").count() == 2  # the city held and the new region
    assert not [group for group in likely_duplicates() if group.reason == SAME_NAME]

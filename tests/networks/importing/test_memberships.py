"""Membership import through the admin: preview, confirm, idempotence, every error case."""

import datetime
from pathlib import Path

import pytest
import tablib
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cities.models import City
from networks.importing.resources import MembershipResource
from networks.models import Membership
from networks.models import Source
from tests import admin_imports
from tests.admin_imports import CSV
from tests.admin_imports import XLSX
from tests.admin_imports import problem_cells
from tests.admin_imports import problems
from tests.admin_imports import totals
from tests.factories import CityFactory
from tests.factories import MembershipFactory
from tests.factories import NetworkFactory
from tests.factories import SourceFactory

pytestmark = [
    pytest.mark.django_db,
    # WhiteNoise warns when collectstatic has not run; the admin pages need no static files.
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

SHIPPED_100RC = Path(settings.BASE_DIR) / "fixtures" / "memberships" / "100rc_members.csv"
IMPORT = reverse("admin:networks_membership_import")
CONFIRM = reverse("admin:networks_membership_process_import")
HEADER = "city,country_iso2,round,year_selected,source,geonameid,latitude,longitude,population\n"


@pytest.fixture
def resilient(db):
    return NetworkFactory(name="100 Resilient Cities", acronym="100RC", slug="100rc", founded=2013, ended=2019)


def upload(client, content: bytes | str, network=None, name="members.csv", file_format=CSV):
    fields = {} if network is None else {"network": network.pk}
    return admin_imports.upload(client, IMPORT, content, name, file_format, **fields)


def confirm(client, preview):
    return admin_imports.confirm(client, CONFIRM, preview)


def stored() -> list[dict]:
    return list(Membership.objects.order_by("pk").values())


# --- the shipped 100RC list, as a new admin would import it ----------------------------


def test_preview_of_the_shipped_100rc_list_shows_every_row_new_and_writes_nothing(staff_client, resilient):
    response = upload(staff_client, SHIPPED_100RC.read_bytes(), network=resilient, name="100rc_members.csv")

    assert response.status_code == 200
    assert totals(response) == {"new": 105, "update": 0, "skip": 0, "invalid": 0}
    assert response.context["confirm_form"] is not None
    page = response.content.decode()
    assert "105 rows:" in page and "105 new" in page and "Alameda" in page
    assert not Membership.objects.exists()
    assert not City.objects.exists()
    assert not Source.objects.exists()


def test_confirming_imports_the_100rc_list_into_the_chosen_network(staff_client, staff_user, resilient):
    preview = upload(staff_client, SHIPPED_100RC.read_bytes(), network=resilient, name="100rc_members.csv")

    response = confirm(staff_client, preview)

    assert response.status_code == 200
    assert "Import finished: 105 new" in response.content.decode()
    spells = Membership.objects.filter(network=resilient)
    assert spells.count() == 105
    vejle = spells.get(city__name="Vejle")
    assert (vejle.application_round, vejle.joined_display, vejle.left_display) == (1, "2013", "2019")
    assert vejle.city.geonames_id == 2610613
    assert vejle.source.citation.startswith("The Rockefeller Foundation Announces Inaugural Members")
    assert Membership.history.filter(history_type="+", history_user=staff_user).count() == 105


def test_uploading_the_100rc_list_again_changes_nothing(staff_client, resilient):
    confirm(staff_client, upload(staff_client, SHIPPED_100RC.read_bytes(), network=resilient))
    before = stored()
    cities, sources, history = City.objects.count(), Source.objects.count(), Membership.history.count()

    again = upload(staff_client, SHIPPED_100RC.read_bytes(), network=resilient)
    response = confirm(staff_client, again)

    assert totals(again) == {"new": 0, "update": 0, "skip": 105, "invalid": 0}
    assert "Importing this file would change nothing." in again.content.decode()
    assert "Import finished: 0 new, 0 updated, 0 deleted and 105 skipped" in response.content.decode()
    assert stored() == before
    assert (City.objects.count(), Source.objects.count(), Membership.history.count()) == (cities, sources, history)


def test_the_100rc_list_loaded_by_load_citynet_previews_as_unchanged(staff_client, resilient):
    from networks.importing.memberlists import memberlist_load

    amendments = SHIPPED_100RC.parent / "amendments.csv"
    memberlist_load(path=SHIPPED_100RC, network_slug="100rc", amendments_path=amendments)

    response = upload(staff_client, SHIPPED_100RC.read_bytes(), network=resilient)

    # Alameda's amended end and note, and the metropolitan bodies' kind, are left alone.
    assert totals(response) == {"new": 0, "update": 0, "skip": 105, "invalid": 0}


def test_an_excel_file_imports_like_the_csv(staff_client, resilient):
    dataset = tablib.Dataset().load(SHIPPED_100RC.read_text(encoding="utf-8-sig"), format="csv")

    preview = upload(staff_client, dataset.export("xlsx"), network=resilient, name="100rc.xlsx", file_format=XLSX)
    confirm(staff_client, preview)

    assert totals(preview)["new"] == 105
    assert Membership.objects.filter(network=resilient).count() == 105
    assert Membership.objects.get(city__name="Vejle").joined == datetime.date(2013, 1, 1)


def test_a_network_column_chooses_each_rows_network(staff_client, resilient):
    eurocities = NetworkFactory(slug="eurocities")
    content = (
        "network,city,country_iso2,joined,source\n"
        "100rc,Vejle,DK,2013,Press release\n"
        "eurocities,Oslo,NO,1990,Member list\n"
    )

    confirm(staff_client, upload(staff_client, content))

    assert Membership.objects.get(city__name="Vejle").network == resilient
    assert Membership.objects.get(city__name="Oslo").network == eurocities


# --- preview counts ---------------------------------------------------------------------


def test_preview_counts_new_changed_and_unchanged_rows(staff_client, resilient):
    source = SourceFactory(citation="Press release")
    vejle = CityFactory(name="Vejle", country="DK")
    chennai = CityFactory(name="Chennai", country="IN")
    common = {"network": resilient, "source": source, "joined_precision": "year", "left": datetime.date(2019, 12, 31)}
    MembershipFactory(city=vejle, joined=datetime.date(2013, 1, 1), application_round=1, **common)
    MembershipFactory(city=chennai, joined=datetime.date(2014, 1, 1), application_round=1, **common)
    content = (
        "city,country_iso2,round,year_selected,source\n"
        "Vejle,DK,1,2013,Press release\n"
        "Chennai,IN,2,2014,Press release\n"
        "Porto Alegre,BR,1,2013,Press release\n"
    )

    response = upload(staff_client, content, network=resilient)

    assert totals(response) == {"new": 1, "update": 1, "skip": 1, "invalid": 0}
    groups = {
        group["label"]: [row.number for row in group["rows"]] for group in response.context["result"].preview_groups
    }
    assert groups == {"New": [4], "Changed": [3], "Unchanged": [2]}
    # The changed cell shows what is stored and what the file says.
    assert "<del>1</del> <ins>2</ins>" in response.content.decode()


def test_confirming_a_change_records_it_in_the_history(staff_client, staff_user, resilient):
    spell = MembershipFactory(
        network=resilient,
        city=CityFactory(name="Chennai", country="IN"),
        source=SourceFactory(citation="Press release"),
        joined=datetime.date(2014, 1, 1),
        left=datetime.date(2019, 12, 31),
        application_round=1,
    )
    content = "city,country_iso2,round,year_selected,source\nChennai,IN,2,2014,Press release\n"

    confirm(staff_client, upload(staff_client, content, network=resilient, name="rounds.csv"))

    spell.refresh_from_db()
    assert spell.application_round == 2
    change = spell.history.latest()
    assert (change.history_type, change.history_user, change.application_round) == ("~", staff_user, 2)
    assert change.history_change_reason == "import of rounds.csv"
    assert change.prev_record.application_round == 1


def test_only_the_files_columns_are_written(staff_client, resilient):
    spell = MembershipFactory(
        network=resilient,
        city=CityFactory(name="Vejle", country="DK"),
        source=SourceFactory(citation="Press release"),
        joined=datetime.date(2013, 1, 1),
        type="full",
        note="Checked by phone.",
        took_effect=False,
    )
    content = "city,country_iso2,year_selected,source\nVejle,DK,2013,Press release\n"

    response = upload(staff_client, content, network=resilient)

    assert totals(response)["skip"] == 1
    spell.refresh_from_db()
    assert (spell.type, spell.note, spell.took_effect) == ("full", "Checked by phone.", False)


def test_preview_queries_do_not_grow_with_rows(staff_client, resilient):
    def preview_queries(rows: int) -> int:
        lines = "".join(f"Place {n},NO,1,2013,Press release,,,,\n" for n in range(rows))
        with CaptureQueriesContext(connection) as queries:
            response = upload(staff_client, HEADER + lines, network=resilient)
        assert totals(response)["new"] == rows
        return len(queries)

    # Places, sources and spells are loaded once and written in batches, whatever the rows.
    assert preview_queries(40) == preview_queries(4)


# --- a broken file shows every bad row and writes nothing --------------------------------


def test_a_broken_file_shows_every_bad_row_and_changes_nothing(staff_client, resilient):
    vejle = MembershipFactory(network=resilient, city=CityFactory(name="Vejle", country="DK"))
    before = stored()
    content = (
        "city,country_iso2,round,joined,left,source\n"
        "Good Town,US,1,2013,,Press release\n"
        ",US,1,2013,,Press release\n"
        "Bad Country,ZZ,1,2013,,Press release\n"
        "No Source,US,1,2013,,\n"
        "Month Thirteen,US,1,2014-13,,Press release\n"
        "Ends Early,US,1,2014,2012,Press release\n"
        "Bad Day,US,1,2014-02-30,,Press release\n"
        "Good Town,US,1,2013,,Press release\n"
        "Bad Round,US,first,2013,,Press release\n"
    )

    response = upload(staff_client, content, network=resilient)

    assert response.status_code == 200
    assert "confirm_form" not in response.context
    assert totals(response)["invalid"] == 8
    assert problem_cells(response) == {
        (3, "city"),
        (4, "country_iso2"),
        (5, "source"),
        (6, "joined"),
        (7, "left"),
        (8, "joined"),
        (9, "city"),
        (10, "round"),
    }
    page = response.content.decode()
    assert 'Row 6, column <span class="column">joined</span>: &#x27;2014-13&#x27; has no month 13' in page
    assert 'Row 9, column <span class="column">city</span>: repeats row 2' in page
    assert "nothing will be written" in page
    assert stored() == before
    assert not City.objects.exclude(pk=vejle.city_id).exists()


def test_the_confirm_step_writes_nothing_when_a_row_has_become_invalid(staff_client, resilient):
    content = HEADER + "Old Town,US,1,2013,Press release,,,,\nNew Town,US,1,2016,Press release,,,,\n"
    preview = upload(staff_client, content, network=resilient)
    # Between preview and confirm, someone records that the network ended before New Town joined.
    resilient.ended = 2015
    resilient.save()
    before = stored()

    response = confirm(staff_client, preview)

    assert "Nothing was imported" in response.content.decode()
    assert stored() == before


def test_a_spell_added_meanwhile_is_refused_with_the_constraints_message(resilient, monkeypatch):
    """The database's own rule stops a row the file check could not see, and the row says so."""
    oslo = CityFactory(name="Oslo", country="NO")
    sneak_in = MembershipResource.after_read

    def after_read_then_someone_else_writes(self):
        sneak_in(self)
        MembershipFactory(network=resilient, city=oslo, joined=datetime.date(2013, 1, 1))

    monkeypatch.setattr(MembershipResource, "after_read", after_read_then_someone_else_writes)
    dataset = tablib.Dataset().load(HEADER + "Oslo,NO,1,2013,Press release,,,,\n", format="csv")

    result = MembershipResource(network=resilient).import_data(dataset, dry_run=False)

    (row,) = result.invalid_rows
    assert row.error_dict == {"joined": ["This place already has a membership spell of this network starting then."]}
    assert Membership.objects.count() == 0  # the whole import, the meanwhile spell with it, was rolled back


def test_a_file_that_is_not_utf8_is_read_and_said_so(staff_client, resilient):
    content = (HEADER + "Malmö,SE,1,2013,Press release,,,,\n").encode("latin-1")

    response = upload(staff_client, content, network=resilient)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Malmö" in page
    assert "not all UTF-8" in page
    assert not Membership.objects.exists()


def test_a_csv_file_uploaded_as_excel_gets_a_clear_error(staff_client, resilient):
    response = upload(staff_client, HEADER, network=resilient, file_format=XLSX)

    assert response.context["form"].errors["import_file"] == [
        "The file is not an Excel workbook (.xlsx). Choose the format that matches the file."
    ]


def test_missing_columns_are_named(staff_client, resilient):
    response = upload(staff_client, "city,country_iso2,year_selected\nVejle,DK,2013\n", network=resilient)

    (error,) = response.context["result"].base_errors
    assert str(error.error) == "Missing column(s): source. Every file needs: city, country_iso2, source."
    assert "Missing column(s): source" in response.content.decode()
    assert not Membership.objects.exists()


def test_an_unknown_column_is_ignored_and_named(staff_client, resilient):
    response = upload(staff_client, "city,country_iso2,joind,source\nVejle,DK,2013,Src\n", network=resilient)

    assert not response.context["result"].base_errors
    assert totals(response)["new"] == 1
    assert "Columns ignored (this import does not read them): joind." in response.content.decode()


def test_a_file_without_a_network_asks_for_one(staff_client):
    response = upload(staff_client, HEADER + "Vejle,DK,1,2013,Src,,,,\n")

    (error,) = response.context["result"].base_errors
    assert "Choose it on the import form, or add a network column" in str(error.error)


def test_an_unknown_network_is_a_row_error(staff_client, resilient):
    content = "network,city,country_iso2,joined,source\nc40,Oslo,NO,2015,Member list\n"

    response = upload(staff_client, content)

    assert problems(response) == [(2, "network", "no network with slug 'c40'")]


def test_a_row_for_another_network_than_the_chosen_one_is_an_error(staff_client, resilient):
    NetworkFactory(slug="eurocities")
    content = "network,city,country_iso2,joined,source\neurocities,Oslo,NO,2015,Member list\n"

    response = upload(staff_client, content, network=resilient)

    assert problems(response) == [(2, "network", "the row says 'eurocities' but this import is into '100rc'")]


def test_a_new_spell_cannot_start_after_its_network_ended(staff_client, resilient):
    response = upload(staff_client, HEADER + "Late Town,US,4,2021,Src,,,,\n", network=resilient)

    ((row, column, message),) = problems(response)
    assert (row, column) == (2, "left")
    assert message.startswith("the membership would end (2019-12-31) before it starts (2021-01-01)")


def test_two_new_places_with_one_geonames_id_are_refused_by_the_database(staff_client, resilient):
    content = HEADER + "Kristiania,NO,1,2013,Src,3143244,59.9,10.7,1\nOslo,NO,1,2013,Src,3143244,59.9,10.7,1\n"

    response = upload(staff_client, content, network=resilient)

    assert problems(response) == [(3, "geonameid", "Another city already has this GeoNames id.")]


def test_importing_needs_the_right_to_add_and_change_memberships(client, resilient):
    from tests.factories import UserFactory

    client.force_login(UserFactory(is_staff=True))

    response = client.get(IMPORT)

    assert response.status_code == 403


# --- export, and the round trip ------------------------------------------------------------


def export(client, file_format=CSV, query="") -> bytes:
    """Export from the membership changelist, every column ticked."""
    fields = {f"membershipresource_{column}": "on" for column in MembershipResource.columns()}
    response = client.post(
        reverse("admin:networks_membership_export") + query, {"format": file_format, "resource": "0", **fields}
    )
    assert response.status_code == 200
    return response.content


def test_export_names_related_records_by_their_natural_keys(staff_client, resilient):
    MembershipFactory(
        network=resilient,
        city=CityFactory(name="København", country="DK", geonames_id=2618425),
        source=SourceFactory(citation="Press release"),
        joined=datetime.date(2013, 12, 1),
        joined_precision="month",
        left=datetime.date(2019, 12, 31),
        left_precision="year",
        application_round=1,
    )

    content = export(staff_client).decode("utf-8-sig")

    assert content.splitlines() == [
        "network,city,country_iso2,kind,geonameid,membership_type,joined,left,round,took_effect,listed_on,source,note",
        "100rc,København,DK,city,2618425,unknown,2013-12,2019,1,true,,Press release,",
    ]


def test_an_exported_file_imports_back_unchanged(staff_client, resilient):
    confirm(staff_client, upload(staff_client, SHIPPED_100RC.read_bytes(), network=resilient))
    before = stored()

    for file_format, name in ((CSV, "memberships.csv"), (XLSX, "memberships.xlsx")):
        response = upload(staff_client, export(staff_client, file_format), name=name, file_format=file_format)

        assert totals(response) == {"new": 0, "update": 0, "skip": 105, "invalid": 0}
    assert stored() == before


def test_export_follows_the_changelists_filters(staff_client, resilient):
    MembershipFactory(network=resilient, city=CityFactory(name="Vejle"))
    MembershipFactory(city=CityFactory(name="Oslo"))

    content = export(staff_client, query=f"?network__id__exact={resilient.pk}").decode("utf-8-sig")

    assert "Vejle" in content and "Oslo" not in content


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The submitted file is empty."),
        (HEADER.encode(), "No valid data to import."),
        (HEADER.encode() + b"Vejle,DK,1,2013,Src,,,,,,extra\n", "A row has more cells than the header has columns"),
        (b"\x00\x01\x02\xff\xfe", "The file is not UTF-8 text"),
    ],
)
def test_files_that_cannot_be_read_get_a_clear_error(staff_client, resilient, content, message):
    response = upload(staff_client, content, network=resilient)

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["import_file"])

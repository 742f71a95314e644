import datetime
from pathlib import Path

import pytest
from django.conf import settings

from cities.models import City
from networks.importing.memberlists import MemberListError
from networks.importing.memberlists import memberlist_load
from networks.models import Membership
from networks.models import Source
from tests.factories import CityFactory
from tests.factories import NetworkFactory

pytestmark = pytest.mark.django_db

SHIPPED = Path(settings.BASE_DIR) / "fixtures" / "memberships"
HEADER = "city,country_iso2,round,year_selected,source,geonameid,latitude,longitude,population\n"


def write(tmp_path, text, name="list.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def resilient(db):
    return NetworkFactory(name="100 Resilient Cities", slug="100rc", founded=2013, ended=2019)


@pytest.fixture
def eurocities(db):
    return NetworkFactory(name="Eurocities", slug="eurocities", scope="regional", founded=1986)


def load_shipped(resilient, eurocities):
    amendments = SHIPPED / "amendments.csv"
    first = memberlist_load(path=SHIPPED / "100rc_members.csv", network_slug="100rc", amendments_path=amendments)
    second = memberlist_load(
        path=SHIPPED / "eurocities_members.csv",
        network_slug="eurocities",
        listed_on=datetime.date(2025, 5, 18),
        amendments_path=amendments,
    )
    return first, second


def test_shipped_lists_load_every_row_once(resilient, eurocities):
    load_shipped(resilient, eurocities)
    assert Membership.objects.filter(network=resilient).count() == 105
    assert Membership.objects.filter(network=eurocities).count() == 226
    # 14 cities are in both lists (London, Paris, Rotterdam...): one record each.
    assert City.objects.count() == 105 + 226 - 14
    assert City.objects.get(name="London").memberships.count() == 2


def test_loading_the_shipped_lists_again_changes_nothing(resilient, eurocities):
    load_shipped(resilient, eurocities)
    before = list(Membership.objects.order_by("pk").values())
    first, second = load_shipped(resilient, eurocities)
    assert sum(first.created.values()) + sum(second.created.values()) == 0
    assert sum(first.updated.values()) + sum(second.updated.values()) == 0
    assert list(Membership.objects.order_by("pk").values()) == before


def test_every_membership_keeps_its_rows_source(resilient, eurocities):
    load_shipped(resilient, eurocities)
    hague = Membership.objects.get(network=resilient, city__name="The Hague")
    assert hague.source.citation.startswith("ROUND BY ELIMINATION")
    assert Membership.objects.filter(source__isnull=True).count() == 0
    assert Source.objects.filter(memberships__network=eurocities).distinct().count() >= 1


def test_every_100rc_membership_ends_and_alameda_never_started(resilient, eurocities):
    load_shipped(resilient, eurocities)
    spells = Membership.objects.filter(network=resilient)
    assert not spells.filter(left__isnull=True).exists()
    alameda = spells.get(city__name="Alameda")
    assert not alameda.took_effect
    assert alameda.left_display == "2014"
    assert "withdrawn" in alameda.note
    assert alameda not in spells.member_on(datetime.date(2014, 6, 1))
    vejle = spells.get(city__name="Vejle")
    assert (vejle.application_round, vejle.joined_display, vejle.left_display) == (1, "2013", "2019")


def test_eurocities_types_stay_unknown_and_non_cities_keep_their_kind(resilient, eurocities):
    load_shipped(resilient, eurocities)
    spells = Membership.objects.filter(network=eurocities)
    assert set(spells.values_list("type", flat=True)) == {"unknown"}
    assert spells.filter(listed_on=datetime.date(2025, 5, 18)).count() == 226
    assert City.objects.get(name="Lyon Metropole").kind == "metropolitan"
    assert City.objects.get(name="Lyon").kind == "city"
    assert City.objects.get(name="Brabantstad").kind == "grouping"
    assert City.objects.get(name="Kadikoy").kind == "district"
    assert not City.objects.get(name="Paynesville").has_coordinates


def test_existing_city_with_the_same_geonames_id_is_reused(resilient, eurocities):
    copenhagen = CityFactory(name="Copenhagen", country="DK", geonames_id=2618425, slug="copenhagen")
    load_shipped(resilient, eurocities)
    assert City.objects.filter(geonames_id=2618425).count() == 1
    assert copenhagen.memberships.get().network == eurocities


def test_bad_rows_are_all_reported_and_nothing_is_written(resilient, tmp_path):
    path = write(
        tmp_path,
        HEADER
        + "Good City,US,1,2013,Press release,1,10,10,5\n"
        + ",US,1,2013,Press release,2,10,10,5\n"
        + "Bad Country,ZZ,1,2013,Press release,3,10,10,5\n"
        + "No Source,US,1,2013,,4,10,10,5\n"
        + "Bad Year,US,1,20x3,Press release,5,10,10,5\n"
        + "Half Point,US,1,2013,Press release,6,10,,5\n",
    )
    with pytest.raises(MemberListError) as error:
        memberlist_load(path=path, network_slug="100rc")
    rows = {(row, column) for row, column, _ in error.value.problems}
    assert {(3, "city"), (4, "country_iso2"), (5, "source"), (6, "year_selected"), (7, "latitude")} <= rows
    assert City.objects.count() == 0 and Membership.objects.count() == 0


def test_duplicate_rows_are_reported(resilient, tmp_path):
    path = write(tmp_path, HEADER + "Twice,US,1,2013,Src,1,10,10,5\n" + "Twice,US,1,2013,Src,1,10,10,5\n")
    with pytest.raises(MemberListError, match="row 3, city: repeats row 2"):
        memberlist_load(path=path, network_slug="100rc")
    assert Membership.objects.count() == 0


def test_missing_columns_are_a_clear_error(resilient, tmp_path):
    with pytest.raises(MemberListError, match="Missing column"):
        memberlist_load(path=write(tmp_path, "city,country\nOslo,NO\n"), network_slug="100rc")


def test_a_latin1_file_is_read_and_said_so(resilient, tmp_path):
    latin1 = write(tmp_path, HEADER + "Malmö,SE,1,2013,Src,1,10,10,5\n", name="latin1.csv", encoding="latin-1")
    report = memberlist_load(path=latin1, network_slug="100rc")
    assert City.objects.get().name == "Malmö"
    assert any("not all UTF-8" in notice for notice in report.notices)


def test_a_named_encoding_is_used(resilient, tmp_path):
    path = write(tmp_path, HEADER + "Kraków,PL,1,2013,Src,1,10,10,5\n", encoding="cp1250")
    memberlist_load(path=path, network_slug="100rc", encoding="cp1250")
    assert City.objects.get().name == "Kraków"


def test_unknown_network_is_a_clear_error(tmp_path):
    with pytest.raises(MemberListError, match="no network with slug 'c40'"):
        memberlist_load(path=write(tmp_path, HEADER), network_slug="c40")


def test_dry_run_writes_nothing(resilient, tmp_path):
    path = write(tmp_path, HEADER + "New Town,US,1,2013,Src,1,10,10,5\n")
    report = memberlist_load(path=path, network_slug="100rc", dry_run=True)
    assert report.created["membership"] == 1
    assert Membership.objects.count() == 0


def test_other_networks_lists_with_their_own_columns_load(eurocities, tmp_path):
    path = write(
        tmp_path,
        "city,country_iso2,kind,membership_type,joined,left,source\n"
        "Malmö,SE,city,Full member,1995-03,,Network annual report 2020\n"
        "Malmö,SE,city,Associate,1990,1993,Network annual report 2020\n"
        "Skåne Region,SE,metropolitan,partner,2001,,Network annual report 2020\n",
    )
    memberlist_load(path=path, network_slug="eurocities")
    malmo = City.objects.get(name="Malmö")
    spells = list(malmo.memberships.order_by("joined"))
    assert [(s.type, s.period) for s in spells] == [("associate", "1990–1993"), ("full", "Mar 1995–")]
    assert City.objects.get(name="Skåne Region").kind == "metropolitan"


def test_a_place_entered_with_the_wrong_kind_is_reused_and_corrected(resilient, eurocities):
    # e.g. an admin import of the raw 100RC file, which has no `kind` column
    wrong = CityFactory(name="Greater Manchester", country="GB", kind=City.Kind.CITY, geonames_id=2643123)
    load_shipped(resilient, eurocities)
    wrong.refresh_from_db()
    assert wrong.kind == City.Kind.METROPOLITAN
    assert City.objects.filter(name="Greater Manchester").count() == 1
    manchester = City.objects.get(name="Manchester")
    assert manchester.kind == City.Kind.CITY and manchester.pk != wrong.pk

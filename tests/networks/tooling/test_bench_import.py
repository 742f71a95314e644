import io

import pytest
from django.core.management import call_command

from cities.models import City
from networks.models import Membership
from networks.models import Network
from tests.factories import CityFactory

pytestmark = pytest.mark.django_db


def test_measures_preview_import_and_reimport_then_leaves_the_database_as_it_was():
    out = io.StringIO()
    call_command("bench_import", rows=20, stdout=out, stderr=io.StringIO())
    report = out.getvalue()
    assert "preview:" in report and "20 new, 0 changed, 0 unchanged, 0 invalid" in report
    assert "20 memberships stored" in report
    assert "again:" in report and "0 new, 0 changed, 20 unchanged, 0 invalid" in report
    assert "Rolled back" in report
    assert not Network.objects.filter(slug="synthetic-bench").exists()
    assert Membership.objects.count() == 0


def test_measures_a_file_of_many_networks_and_lists_the_places_it_would_duplicate(tmp_path):
    CityFactory(name="Greater Harbourton", country="GB", kind=City.Kind.METROPOLITAN)
    path, mapping = tmp_path / "many.csv", tmp_path / "labels.csv"
    path.write_text(
        "name,iso,entity_type,lat,lng,initiatives_committed\n"
        "Greater Harbourton,GBR,City,NA,NA,NetB2022\n"
        "Fjordby,NOR,City,60.1,10.2,NetB2022;Platform\n"
    )
    mapping.write_text("label,network,listed_on,network_name\nNetB2022,netb,2022,Network B\nPlatform,,,\n")
    out = io.StringIO()
    call_command(
        "bench_import", file=path, mapping=mapping, decide_new=True, source="Made up", stdout=out, stderr=io.StringIO()
    )
    report = out.getvalue()
    assert "2 rows -> netb as of 2022-12-31" in report
    assert "doubtful rows: 1; invalid rows: 0" in report
    assert "places created: 2; with coordinates: 1 (50.0%)" in report
    assert "duplicates of places held (same folded name, country and kind): 0" in report
    assert "namesakes of another kind" in report and "new Greater Harbourton (GB, city)" in report
    assert "Rolled back" in report
    assert City.objects.count() == 1 and not Network.objects.filter(slug="netb").exists()

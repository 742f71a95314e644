import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from cities.models import City
from networks.importing.study import STUDY_PATH
from networks.importing.study import study_load
from networks.models import Code
from networks.models import CodebookVersion
from networks.models import Coding
from networks.models import Evidence
from networks.models import Network
from networks.models import Source
from tests.factories import CityFactory
from tests.factories import CodebookVersionFactory

pytestmark = pytest.mark.django_db

OSLO, COPENHAGEN, VEJLE, CHENNAI, PORTO_ALEGRE = 3143244, 2618425, 2610613, 1264527, 3452925
STUDY_CITIES = {OSLO, COPENHAGEN, VEJLE, CHENNAI, PORTO_ALEGRE}


def coding(network_slug: str, code: str, geonames_id: int | None = None) -> Coding:
    return Coding.objects.get(network__slug=network_slug, code__code=code, city__geonames_id=geonames_id)


def edited_study(tmp_path: Path, edit) -> Path:
    data = json.loads(STUDY_PATH.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "study.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_loads_the_five_cities_two_networks_eleven_interviews_and_seven_codes():
    study_load()

    coded_cities = set(Coding.objects.filter(city__isnull=False).values_list("city__geonames_id", flat=True))
    assert coded_cities == STUDY_CITIES
    assert City.objects.filter(geonames_id__in=STUDY_CITIES).count() == 5
    assert set(Network.objects.values_list("slug", flat=True)) == {"eurocities", "100rc"}
    assert Source.objects.filter(kind=Source.Kind.INTERVIEW, part_of__kind=Source.Kind.STUDY).count() == 11
    assert Code.objects.filter(version__label="grønnestad-nielsen-2018").count() == 7
    # 19 rows of the study's table plus its "all five" row split into one coding per city
    assert Coding.objects.count() == 24


def test_oslo_representation_in_eurocities_is_central_and_met_per_informant_2():
    study_load()

    oslo = coding("eurocities", "representation", OSLO)
    assert (oslo.salience, oslo.outcome, oslo.perspective) == (3, "met", "city")
    interview = oslo.evidence.get(source__kind=Source.Kind.INTERVIEW).source
    assert (interview.interview_number, interview.year) == (2, 2018)
    assert "Informant 2" in interview.label


def test_copenhagen_knowledge_sharing_is_mixed_with_evidence_from_interviews_3_and_4():
    study_load()

    copenhagen = coding("eurocities", "knowledge", COPENHAGEN)
    assert copenhagen.outcome == "mixed"
    numbers = sorted(copenhagen.evidence.values_list("source__interview_number", flat=True))
    assert numbers == [3, 4]


def test_codes_what_100rc_says_it_offers_as_a_whole():
    study_load()

    saliences = {code: coding("100rc", code).salience for code in ("capacity", "policy", "knowledge")}
    assert saliences == {"capacity": 3, "policy": 3, "knowledge": 1}
    assert set(Coding.objects.filter(city__isnull=True).values_list("perspective", flat=True)) == {"network"}
    assert set(Coding.objects.filter(city__isnull=True).values_list("outcome", flat=True)) == {""}


def test_splits_the_all_five_appropriateness_row_into_one_coding_per_city_in_its_network():
    study_load()

    rows = set(Coding.objects.filter(code__code="appropriateness").values_list("city__geonames_id", "network__slug"))
    assert rows == {
        (OSLO, "eurocities"),
        (COPENHAGEN, "eurocities"),
        (VEJLE, "100rc"),
        (CHENNAI, "100rc"),
        (PORTO_ALEGRE, "100rc"),
    }


def test_every_evidence_item_has_a_page_and_its_danish_passage():
    study_load()

    assert not Evidence.objects.exclude(locator__startswith="p").exists()
    assert not Evidence.objects.exclude(language="da").exists()
    assert not Evidence.objects.filter(original_text="").exists()


def test_second_run_creates_and_changes_nothing():
    study_load()
    stamps = dict(Coding.objects.values_list("pk", "updated_at"))

    counts = study_load()

    assert all(count["created"] == 0 and count["updated"] == 0 for count in counts.values())
    assert counts["Coding"]["unchanged"] == 24
    assert dict(Coding.objects.values_list("pk", "updated_at")) == stamps


def test_reuses_a_city_that_already_has_copenhagens_geonames_id():
    existing = CityFactory(name="København", country="DK", geonames_id=COPENHAGEN, population=None)

    study_load()

    assert City.objects.filter(geonames_id=COPENHAGEN).get() == existing
    assert coding("eurocities", "knowledge", COPENHAGEN).city == existing
    existing.refresh_from_db()
    # the study fills the gap but keeps the name an editor or the member list gave it
    assert (existing.name, existing.population) == ("København", 1153615)


def test_reload_of_an_edited_file_updates_only_the_edited_coding(tmp_path):
    study_load()

    def lower_oslo_promotion(data):
        row = next(r for r in data["codings"] if r["city"] == OSLO and r["code"] == "promotion")
        row["salience"] = 1

    counts = study_load(path=edited_study(tmp_path, lower_oslo_promotion))

    assert counts["Coding"] == {"created": 0, "updated": 1, "unchanged": 23}
    assert coding("eurocities", "promotion", OSLO).salience == 1


def test_leaves_another_current_codebook_current():
    current = CodebookVersionFactory(label="citynet-2026", is_current=True)

    study_load()

    assert CodebookVersion.objects.get(is_current=True) == current


def test_rejects_a_row_that_breaks_a_constraint_and_writes_nothing(tmp_path):
    def impossible_salience(data):
        data["codings"][0]["salience"] = 5

    with pytest.raises(ValidationError):
        study_load(path=edited_study(tmp_path, impossible_salience))

    assert not Network.objects.exists()
    assert not Coding.objects.exists()


def test_command_prints_the_counts_per_model():
    out = StringIO()

    call_command("load_study", stdout=out)

    assert "Coding: 24 created, 0 updated, 0 unchanged" in out.getvalue()


def test_reload_with_a_corrected_interview_citation_updates_that_interview(tmp_path):
    study_load()

    def correct_interview_9(data):
        row = next(r for r in data["sources"] if r["interview_number"] == 9)
        row["citation"] = "Interview 9, 2018 (a city official)."

    counts = study_load(path=edited_study(tmp_path, correct_interview_9))

    assert counts["Source"] == {"created": 0, "updated": 1, "unchanged": 11}
    assert Source.objects.get(interview_number=9).citation == "Interview 9, 2018 (a city official)."

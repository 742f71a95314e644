"""The synthetic data set (networks.tooling.synthetic, manage.py generate_synthetic): marked, skewed,
within every constraint, the same for a seed, and removed exactly."""

import io

import pytest
from django.core.management import CommandError
from django.core.management import call_command

from cities.models import City
from networks.models import Code
from networks.models import Coder
from networks.models import Coding
from networks.models import Evidence
from networks.models import Membership
from networks.models import Network
from networks.models import Participation
from networks.models import Source
from networks.models import SubNetwork
from networks.tooling import synthetic
from tests.factories import CodeFactory
from tests.factories import CodingFactory
from tests.factories import EvidenceFactory
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

SCALE = 0.002  # 20 places, 2 networks, 200 spells asked for


@pytest.fixture
def codebook():
    """The current codebook: three functions and a logic."""
    codes = [CodeFactory(code=code, position=position) for position, code in enumerate(["a", "b", "c"], start=1)]
    return [*codes, CodeFactory(code="logic", kind=Code.Kind.LOGIC)]


@pytest.fixture
def real_data(codebook):
    """A real place, network, spell and coding the generator must leave alone."""
    coding = CodingFactory(code=codebook[0])
    EvidenceFactory(coding=coding)
    return MembershipFactory(city=coding.city, network=coding.network)


def generate(**options) -> str:
    out = io.StringIO()
    call_command("generate_synthetic", stdout=out, **{"scale": SCALE, **options})
    return out.getvalue()


def fingerprint() -> dict:
    """The synthetic data by natural keys (database ids differ from run to run)."""
    return {
        "cities": sorted(City.objects.filter(slug__startswith="synthetic-").values_list("slug", "country", "kind")),
        "spells": sorted(
            Membership.objects.filter(source__citation=synthetic.SYNTHETIC_CITATION).values_list(
                "city__slug", "network__slug", "joined", "left", "type", "took_effect"
            ),
            key=str,
        ),
        "codings": sorted(
            Coding.objects.filter(coder__name__startswith=synthetic.CODER_PREFIX).values_list(
                "city__slug", "network__slug", "code__code", "perspective", "coder__name", "salience", "outcome"
            ),
            key=str,
        ),
        "evidence": sorted(
            Evidence.objects.filter(source__citation=synthetic.SYNTHETIC_CITATION).values_list("text", "locator")
        ),
    }


def test_generates_every_kind_of_row_and_reports_progress(codebook):
    output = generate()
    assert "Membership spells:" in output and "Wrote " in output
    assert City.objects.filter(slug__startswith="synthetic-").count() == 20
    assert Network.objects.filter(slug__startswith="synthetic-").count() == 2
    assert SubNetwork.objects.exists() and Participation.objects.exists()
    # 200 spells asked for; two networks of 20 places hold fewer (each place at most once or twice)
    assert 0 < Membership.objects.count() <= 200
    assert Coding.objects.count() > Membership.objects.count()
    assert Evidence.objects.count() >= Coding.objects.count()


def test_every_synthetic_row_is_marked_as_not_real(codebook):
    generate()
    source = Source.objects.get(citation=synthetic.SYNTHETIC_CITATION)
    assert "not real" in source.label
    assert not Membership.objects.exclude(source=source).exists()
    assert not Evidence.objects.exclude(source=source).exists()
    assert not Coding.objects.exclude(coder__name__startswith=synthetic.CODER_PREFIX).exists()
    assert all("not real" in coder.name for coder in Coder.objects.all())
    for city in City.objects.all():
        assert city.slug.startswith("synthetic-") and city.name.startswith("Synthetic")
        assert "not a real place" in city.geonames_note and city.geonames_id is None
    assert all("not real" in network.name for network in Network.objects.all())


def test_some_places_leave_and_rejoin_a_network(codebook):
    generate(scale=0.02)
    spells = Membership.objects.values_list("city", "network", "joined", "left")
    by_place: dict[tuple, list] = {}
    for city, network, joined, left in spells:
        by_place.setdefault((city, network), []).append((joined, left))
    rejoined = [found for found in by_place.values() if len(found) > 1]
    assert rejoined
    for found in rejoined:
        found.sort(key=lambda spell: spell[0])
        assert all(earlier[1] < later[0] for earlier, later in zip(found, found[1:], strict=False))


def test_the_same_seed_gives_the_same_data(codebook):
    generate(seed=7)
    first = fingerprint()
    call_command("generate_synthetic", remove=True, stdout=io.StringIO())
    generate(seed=7)
    assert fingerprint() == first
    call_command("generate_synthetic", remove=True, stdout=io.StringIO())
    generate(seed=8)
    assert fingerprint() != first


def test_remove_deletes_exactly_the_synthetic_rows(real_data):
    before = {model: model.objects.count() for model in (City, Network, Membership, Coding, Evidence, Source, Coder)}
    generate()
    output = io.StringIO()
    call_command("generate_synthetic", remove=True, stdout=output)
    assert "Removed" in output.getvalue()
    assert {model: model.objects.count() for model in before} == before
    assert Membership.objects.get() == real_data


def test_refuses_to_add_a_second_synthetic_data_set(codebook):
    generate()
    with pytest.raises(CommandError, match="already in the database"):
        generate()


def test_needs_a_codebook_to_code_with():
    with pytest.raises(CommandError, match="no current codebook"):
        generate()


def test_at_full_scale_a_few_networks_hold_most_spells():
    cap = int(synthetic.LARGEST_NETWORK_SHARE * 10_000 * synthetic.REJOIN_FACTOR)
    spells = synthetic.apportion(100_000, synthetic.zipf_weights(250, synthetic.NETWORK_SKEW), [cap] * 250)
    assert sum(spells) == 100_000 and spells[0] == cap == 9_690
    assert sum(spells[:10]) > 40_000 and spells[-1] < 100


def test_apportion_caps_the_largest_and_gives_the_rest_to_the_others():
    assert synthetic.apportion(100, [4, 2, 1, 1], [30, 100, 100, 100]) == [30, 35, 18, 17]
    assert sum(synthetic.apportion(10, [1, 1], [3, 3])) == 6

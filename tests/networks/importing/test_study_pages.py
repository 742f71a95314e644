"""The study's data as a visitor sees it, after `manage.py load_citynet`."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from cities.models import City
from networks.models import Coding
from networks.models import Membership
from networks.models import Network

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(db):
    call_command("load_citynet", stdout=io.StringIO())


def test_load_citynet_gives_the_study_and_both_member_lists(loaded):
    assert City.objects.count() >= 317
    assert Network.objects.count() == 2
    assert Membership.objects.count() >= 331
    assert Coding.objects.filter(evidence__isnull=False).distinct().count() >= 13
    # The study's cities are the list's records: one Copenhagen with both its membership and its codings.
    copenhagen = City.objects.get(name="Copenhagen")
    assert copenhagen.memberships.get().network.slug == "eurocities"
    assert copenhagen.codings.count() >= 3


def test_oslo_page_shows_its_membership_three_functions_and_informant_2(client, loaded):
    html = client.get(reverse("cities:city_detail", args=["oslo"])).content.decode()
    assert "Eurocities" in html
    assert "Eurocities website member list" in html
    for name in ("Knowledge sharing", "Representation", "Promotion"):
        assert name in html
    assert "Informant 2, 2018" in html

from django.urls import reverse
from django.urls import set_script_prefix

from citynet.links import slug_url
from tests.factories import CityFactory
from tests.factories import NetworkFactory


def test_slug_url_is_what_reverse_gives():
    for name in ("cities:city_detail", "networks:network_detail", "cities:city_similar"):
        for slug in ("oslo", "porto-alegre", "synthetic-city-00001", "a_b"):
            assert slug_url(name, slug) == reverse(name, args=[slug])


def test_slug_url_follows_the_script_prefix():
    try:
        set_script_prefix("/citynet/")
        assert (
            slug_url("cities:city_detail", "oslo")
            == "/citynet/cities/oslo/"
            == reverse("cities:city_detail", args=["oslo"])
        )
    finally:
        set_script_prefix("/")
    assert slug_url("cities:city_detail", "oslo") == "/cities/oslo/"


def test_places_and_networks_link_to_their_pages():
    city, network = CityFactory.build(slug="vejle"), NetworkFactory.build(slug="100rc")
    assert city.get_absolute_url() == reverse("cities:city_detail", args=["vejle"])
    assert network.get_absolute_url() == reverse("networks:network_detail", args=["100rc"])

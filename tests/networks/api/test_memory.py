"""An API response is freed when the server is done with it, not whenever the cyclic garbage
collector next runs: under load, megabyte bodies kept alive in reference cycles made a server's
memory grow by a third in 30 seconds (scripts/loadtest)."""

import gc
import weakref

import pytest
from rest_framework.test import APIRequestFactory

from cities.api import CityViewSet
from networks.api.matrix import MatrixView
from tests.factories import CodingFactory
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_cyclic_gc():
    gc.collect()
    gc.disable()
    yield
    gc.enable()


def served(view, path: str, params: dict):
    response = view(APIRequestFactory().get(path, params))
    if hasattr(response, "render"):  # a DRF Response; the matrix's JSON comes rendered
        response.render()
    response.close()
    return weakref.ref(response)


def test_the_matrix_response_is_freed_once_sent(no_cyclic_gc):
    coding = CodingFactory()
    ref = served(MatrixView.as_view(), "/api/v1/matrix/", {"network": coding.network.slug})
    assert ref() is None


def test_a_list_response_is_freed_once_sent(no_cyclic_gc):
    MembershipFactory()
    ref = served(CityViewSet.as_view({"get": "list"}), "/api/v1/cities/", {})
    assert ref() is None

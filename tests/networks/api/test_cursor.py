"""Cursor walks through API lists (`?cursor=*`, then each page's `next`): every row once, in the
order records were made, while rows are added and removed meanwhile."""

import pytest

from tests.factories import CityFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/cities/"


def walk(client, url, *, during=None) -> tuple[list[str], list[dict]]:
    ids, pages = [], []
    while url:
        body = client.get(url).json()
        pages.append(body)
        ids += [row["slug"] for row in body["results"]]
        if during is not None:
            during(len(pages))
        url = body["next"]
    return ids, pages


def test_a_walk_sees_every_row_once_in_the_order_they_were_made(client):
    cities = [CityFactory(name=name) for name in ["Zagreb", "Aarhus", "Oslo", "Bergen", "Malmö"]]
    ids, pages = walk(client, f"{LIST}?cursor=*&page_size=2")
    assert ids == [city.slug for city in sorted(cities, key=lambda city: city.pk)]
    assert len(pages) == 3
    assert all(page["count"] == 5 and page["previous"] is None for page in pages)


def test_rows_added_or_removed_during_a_walk_neither_repeat_nor_hide_others(client):
    cities = [CityFactory() for _ in range(6)]
    added = []

    def meanwhile(pages_read):
        if pages_read == 1:
            cities[0].delete()  # already seen: page numbers would now shift every row by one
            added.append(CityFactory())

    ids, _ = walk(client, f"{LIST}?cursor=*&page_size=2", during=meanwhile)
    assert len(ids) == len(set(ids))
    assert ids == [city.slug for city in cities] + [added[0].slug]


def test_a_walk_keeps_the_filters(client):
    for country in ["NO", "NO", "DK"]:
        CityFactory(country=country)
    ids, pages = walk(client, f"{LIST}?cursor=*&page_size=1&country=NO")
    assert len(ids) == 2 and pages[0]["count"] == 2


@pytest.mark.parametrize(
    "query",
    ["cursor=abc", "cursor=-1", "cursor=1.5", "cursor=", "cursor=*&page=0"],
)
def test_a_malformed_cursor_or_page_is_a_400_naming_it(client, query):
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 400
    assert set(response.json()) & {"cursor", "page"}


def test_a_walk_leaves_page_and_ordering_aside(client):
    cities = [CityFactory(name=name) for name in ["Zagreb", "Aarhus", "Oslo"]]
    ids, _ = walk(client, f"{LIST}?cursor=*&page_size=2&page=2&ordering=name")
    assert ids == [city.slug for city in cities]

"""The data version (citynet.dataversion): moved on by the database itself with every committed
write to the data, whatever makes it; never by a write that is rolled back."""

import pytest
from django.db import connection
from django.db import transaction

from cities.models import City
from citynet import dataversion
from tests.factories import CityFactory
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db(transaction=True)


def version() -> str:
    return dataversion.read()[0]


def test_every_table_of_the_data_carries_the_triggers():
    # A model added later is covered by the next migrate; this fails if one is missed.
    assert set(dataversion.tracked_tables()) <= dataversion.covered_tables()
    assert {"cities_city", "networks_membership", "networks_evidence", "networks_historicalcoding"} <= set(
        dataversion.tracked_tables()
    )


def test_an_orm_write_moves_the_version_on():
    before = version()
    city = CityFactory()
    after_create = version()
    city.delete()
    assert len({before, after_create, version()}) == 3


def test_a_raw_sql_write_moves_the_version_on():
    city = CityFactory(name="Oslo")
    before = version()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cities_city SET name = %s WHERE id = %s", ["Christiania", city.pk])
    assert version() != before


def test_a_rolled_back_write_leaves_the_version_as_it_was():
    before = version()
    with pytest.raises(RuntimeError), transaction.atomic():
        MembershipFactory()
        raise RuntimeError("abandoned")
    assert version() == before


def test_the_version_tells_when_the_data_last_changed():
    CityFactory()
    _, changed_at = dataversion.read()
    assert changed_at is not None and changed_at.tzinfo is not None


def test_a_flushed_database_gets_a_new_epoch_so_old_versions_are_never_named_again():
    CityFactory()
    epoch, _, _ = version().partition(".")
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {dataversion.TABLE}")
    assert version() == "0"
    City.objects.create(name="Oslo", slug="oslo", country="NO")
    assert not version().startswith(epoch)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL bumps once per transaction")
def test_a_transaction_of_many_writes_moves_it_once_at_commit():
    _, _, before = version().partition(".")
    with transaction.atomic():
        for number in range(5):
            City.objects.create(name=f"Place {number}", slug=f"place-{number}", country="NO")
    _, _, after = version().partition(".")
    assert int(after) == int(before) + 1


def test_each_table_written_moves_its_own_counter_once_per_transaction():
    spell = MembershipFactory()
    _, _, before = dataversion.read_with_tables()
    with transaction.atomic():
        spell.note = "one"
        spell.save()
        spell.note = "two"
        spell.save()
    tag, _, after = dataversion.read_with_tables()
    assert tag == version()
    changed = {table for table in after if after[table] != before.get(table, 0)}
    # The spell and its history row; nothing of the codings or places.
    assert "networks_membership" in changed and "networks_coding" not in changed and "cities_city" not in changed
    if connection.vendor == "postgresql":  # per statement on SQLite
        assert after["networks_membership"] == before["networks_membership"] + 1

import io

import pytest
from django.core.management import call_command

from networks.models import Membership
from networks.models import Network

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

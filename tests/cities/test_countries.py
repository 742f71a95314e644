"""Countries as files write them: codes, English names and their common variants."""

import pytest

from cities.countries import country_code


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("NO", "NO"),
        ("no", "NO"),
        ("NLD", "NL"),
        ("Norway", "NO"),
        ("The Netherlands", "NL"),
        ("USA", "US"),
        ("United States of America", "US"),
        ("Great Britain", "GB"),
        ("México", "MX"),
        ("Türkiye", "TR"),
        ("Turkey", "TR"),
        ("Czechia", "CZ"),
        ("Czech Republic", "CZ"),
        ("Côte d'Ivoire", "CI"),
        ("Kosovo", "XK"),
        ("XK", "XK"),
        ("Palestine", "PS"),
        ("Iraq", "IQ"),
        ("Bolivia", "BO"),
    ],
)
def test_reads_codes_names_and_variants(written, code):
    assert country_code(written)[0] == code


def test_uk_becomes_gb_with_a_note():
    code, note = country_code("UK")
    assert code == "GB"
    assert "UK" in note and "GB" in note


@pytest.mark.parametrize("written", ["ZZ", "XX", "QQ", "Atlantis", "", "N/A"])
def test_what_names_no_country_is_an_error(written):
    with pytest.raises(ValueError):
        country_code(written)

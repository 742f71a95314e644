"""What the admin's forms post and what its pages show again, for tests that use the admin as a person would."""

import datetime

from django.urls import reverse


def error_messages(response) -> list[str]:
    """Every error the admin page shows: the form's and each inline's."""
    messages = []
    for item in response.context["errors"]:
        messages.extend([item] if isinstance(item, str) else item)
    return messages


def autocomplete(client, model_name: str, field_name: str, term: str) -> list[dict]:
    """What the admin's autocomplete offers for a networks form's field when `term` is typed."""
    query = {"app_label": "networks", "model_name": model_name, "field_name": field_name, "term": term}
    response = client.get(reverse("admin:autocomplete"), query)
    assert response.status_code == 200
    return response.json()["results"]


def inline_data(prefix: str, rows: list[dict], initial: int = 0) -> dict:
    """An inline's management form and its rows, as the page posts them."""
    data = {
        f"{prefix}-TOTAL_FORMS": len(rows),
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{field}": value for field, value in row.items()})
    return data


def page_data(response, **changes) -> dict:
    """What a change page posts back (its form, each inline's management form and rows), with `changes`."""
    forms = [response.context["adminform"].form]
    for inline in response.context.get("inline_admin_formsets", []):
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for name in form.fields:
            key, value = form.add_prefix(name), form[name].value()
            if isinstance(value, datetime.datetime):
                data[f"{key}_0"], data[f"{key}_1"] = value.date().isoformat(), value.time().isoformat()
            elif isinstance(value, bool):
                if value:
                    data[key] = "on"
            elif value is not None:
                data[key] = value
    return {**data, **changes}


def membership_fields(source, **fields) -> dict:
    """An undated full membership spell as the admin's forms post it; `fields` add the city or
    the network (whichever the page does not give) and change the rest."""
    return {
        "type": "full",
        "joined": "",
        "joined_precision": "year",
        "left": "",
        "left_precision": "year",
        "application_round": "",
        "took_effect": "on",
        "source": source.pk,
        **fields,
    }


def city_form(memberships=(), initial_memberships=0, **fields) -> dict:
    """A city's admin form, empty but for its kind, with `memberships` as inline rows."""
    return {
        "name": "",
        "slug": "",
        "country": "",
        "kind": "city",
        "latitude": "",
        "longitude": "",
        "coordinates_note": "",
        "population": "",
        "population_source": "",
        "geonames_id": "",
        "geonames_name": "",
        "geonames_note": "",
        "wikidata_id": "",
        **fields,
        **inline_data("memberships", list(memberships), initial_memberships),
    }

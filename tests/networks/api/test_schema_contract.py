"""What the OpenAPI schema promises clients: reads need no credentials, parameters carry their
real bounds, the main operations have examples that fit their schemas, and a created object
links to its read, change and delete."""

import copy
import json

import jsonschema
import pytest

from networks.filters import MAX_VALUE_LENGTH
from networks.filters import MAX_VALUES

WRITES = ("post", "put", "patch", "delete")
# An empty filter or page value is no value (a form sends its empty fields): the schema allows it.
EMPTY = {"type": "string", "maxLength": 0}


@pytest.fixture(scope="module")
def schema() -> dict:
    """The schema as /api/v1/schema/ serves it (hooks applied), as plain JSON."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


def operations(schema: dict):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def parameter(operation: dict, name: str) -> dict:
    return next(item for item in operation["parameters"] if item["name"] == name)


# 1. Security: reads are public, writes need credentials.


def test_reads_declare_credentials_optional_and_writes_require_them(schema):
    reads = [(path, operation["security"]) for path, method, operation in operations(schema) if method == "get"]
    assert reads
    assert [path for path, security in reads if {} not in security] == []
    assert all({"tokenAuth": []} in security for _, security in reads)
    writes = [(path, method, operation.get("security")) for path, method, operation in operations(schema)]
    writes = [write for write in writes if write[1] in WRITES]
    assert writes
    assert [write for write in writes if not write[2] or {} in write[2]] == []


# 2. Parameters: their real bounds.


def test_paging_parameters_carry_their_bounds(schema):
    memberships = schema["paths"]["/api/v1/memberships/"]["get"]
    page = parameter(memberships, "page")["schema"]
    assert {"type": "integer", "minimum": 1, "maximum": 999_999_999} in page["oneOf"]
    assert {"type": "string", "enum": ["last"]} in page["oneOf"]
    assert EMPTY in page["oneOf"]  # the first page
    # Any size from 1 is accepted, and one above 500 is capped (the description says so).
    assert parameter(memberships, "page_size")["schema"] == {"oneOf": [{"type": "integer", "minimum": 1}, EMPTY]}
    assert "capped to 500" in parameter(memberships, "page_size")["description"]
    cursor = parameter(memberships, "cursor")["schema"]
    assert {"type": "string", "enum": ["*"]} in cursor["oneOf"]


def test_filter_values_carry_their_bounds(schema):
    codings = schema["paths"]["/api/v1/codings/"]["get"]
    for name in ("salience_min", "salience_max"):
        assert parameter(codings, name)["schema"] == {"oneOf": [{"type": "integer", "minimum": 0, "maximum": 3}, EMPTY]}
    network = parameter(codings, "network")["schema"]
    assert network["maxItems"] == MAX_VALUES
    assert network["items"]["type"] == "string"
    assert network["items"]["maxLength"] == MAX_VALUE_LENGTH
    assert "minLength" not in network["items"]  # an empty value is no value: accepted
    source = parameter(codings, "source")["schema"]
    whole_or_empty = [{"type": "integer", "minimum": 1, "maximum": 999_999_999}, EMPTY]
    assert source["items"] == {"oneOf": whole_or_empty}
    assert source["maxItems"] == MAX_VALUES
    search = parameter(codings, "search")["schema"]
    assert search["type"] == "string"
    assert search["maxLength"] == 200
    year = parameter(schema["paths"]["/api/v1/sources/"]["get"], "year")["schema"]["items"]["oneOf"][0]
    assert (year["minimum"], year["maximum"]) == (1, 9999)
    # Values of a fixed set keep their enum.
    # (and the empty value, which is no value)
    assert parameter(codings, "outcome")["schema"]["items"]["enum"] == ["met", "mixed", "unknown", "unmet", ""]


def test_path_keys_are_typed(schema):
    ids = [parameter(operation, "id")["schema"] for path, _, operation in operations(schema) if "{id}" in path]
    assert ids
    assert all(item == {"type": "integer", "minimum": 1, "maximum": 10**18 - 1} for item in ids)
    for path, name in (("/api/v1/cities/{slug}/", "slug"), ("/api/v1/codes/{code}/", "code")):
        assert parameter(schema["paths"][path]["get"], name)["schema"]["pattern"] == "^[-a-zA-Z0-9_]+$"


def test_errors_document_their_code(schema):
    assert "code" in schema["components"]["schemas"]["Error"]["properties"]


# 3. Examples of the main operations, valid against their schemas.


def json_schema(node, components: dict):
    """An OpenAPI 3.0 schema as JSON Schema (`nullable` as null allowed), strict about unknown
    properties so a misspelt field in an example fails."""
    if isinstance(node, list):
        return [json_schema(item, components) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: json_schema(value, components) for key, value in node.items()}
    if node.get("type") == "object" and "properties" in node:
        node.setdefault("additionalProperties", False)
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


def validate(value, schema_node: dict, schema: dict) -> None:
    components = json_schema(copy.deepcopy(schema["components"]), schema["components"])
    jsonschema.Draft202012Validator({**json_schema(schema_node, components), "components": components}).validate(value)


EXAMPLED = [
    ("/api/v1/cities/", "get", "200"),
    ("/api/v1/memberships/", "get", "200"),
    ("/api/v1/codings/", "get", "200"),
    ("/api/v1/matrix/", "get", "200"),
    ("/api/v1/codings/", "post", "201"),
]


@pytest.mark.parametrize(("path", "method", "status"), EXAMPLED)
def test_main_operations_have_examples_that_fit_their_schemas(schema, path, method, status):
    content = schema["paths"][path][method]["responses"][status]["content"]["application/json"]
    assert content.get("examples"), f"{method} {path} has no example"
    for example in content["examples"].values():
        validate(example["value"], content["schema"], schema)


def test_list_examples_are_whole_pages_about_oslo(schema):
    for path in ("/api/v1/cities/", "/api/v1/memberships/", "/api/v1/codings/"):
        content = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
        for example in content["examples"].values():
            page = example["value"]
            assert page["count"] == len(page["results"]) == 1
            assert "licensed CC BY 4.0" in page["attribution"][0]
            assert "Oslo" in json.dumps(page["results"][0])


def test_coding_create_has_a_request_example_that_fits(schema):
    body = schema["paths"]["/api/v1/codings/"]["post"]["requestBody"]["content"]["application/json"]
    assert body.get("examples")
    for example in body["examples"].values():
        validate(example["value"], body["schema"], schema)
        assert example["value"]["code"] == "knowledge"


# 4. Links from a create to the object's operations.


@pytest.mark.parametrize(
    ("resource", "key"), [("cities", "slug"), ("networks", "slug"), ("memberships", "id"), ("codings", "id")]
)
def test_a_create_links_to_the_objects_operations(schema, resource, key):
    created = schema["paths"][f"/api/v1/{resource}/"]["post"]["responses"]["201"]
    links = created["links"]
    assert {"retrieve", "update", "partial_update", "destroy"} <= set(links)
    operation_ids = {operation["operationId"] for _, _, operation in operations(schema)}
    for link in links.values():
        assert link["operationId"] in operation_ids
        assert link["parameters"][key] == f"$response.body#/{key}"
    assert links["retrieve"]["operationId"] == f"{resource}_retrieve"


def test_a_version_checked_create_links_its_etag_as_if_match(schema):
    links = schema["paths"]["/api/v1/memberships/"]["post"]["responses"]["201"]["links"]
    assert links["update"]["parameters"]["header.If-Match"] == "$response.header.ETag"
    assert "header.If-Match" not in links["retrieve"]["parameters"]
    city_links = schema["paths"]["/api/v1/cities/"]["post"]["responses"]["201"]["links"]
    assert "header.If-Match" not in city_links["update"]["parameters"]

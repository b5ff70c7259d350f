"""The OpenAPI document the service serves is committed (docs/openapi.json), matches the
code, and describes exactly the routes the template gives API Gateway."""

from __future__ import annotations

import json
import re

from local.api_routes import routes_from_template
from ops.export_openapi import DOCUMENT, generated


def test_the_committed_document_is_what_the_code_generates():
    assert DOCUMENT.read_text() == generated(), "docs/openapi.json is stale: run make openapi"


def test_the_document_is_openapi_3_1_with_the_error_shape_and_the_request_body():
    document = json.loads(generated())

    assert document["openapi"] == "3.1.0"
    create = document["paths"]["/v1/generations"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/GenerationRequest"
    }
    request = document["components"]["schemas"]["GenerationRequest"]
    assert {"gen4_turbo", "runway/gen4_turbo", "gen3a_turbo"} <= set(request["properties"]["model"]["enum"])
    for path in document["paths"].values():
        for operation in path.values():
            for code, answer in operation["responses"].items():
                if int(code) >= 400:
                    assert answer["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/Error"
                    }


def test_the_document_and_the_template_name_the_same_routes():
    document = json.loads(generated())
    documented = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    # API Gateway spells parameters {id}, {model+}; the document names them per route.
    templated = {
        (route.method, re.sub(r"\{\w+\+?\}", "{}", route.resource))
        for route in routes_from_template()
        if route.function == "submit"
    }

    assert {(method, re.sub(r"\{\w+\}", "{}", path)) for method, path in documented} == templated

"""The OpenAPI 3.1 document of the public API: Powertools generates it from the submit
function's routes; this adds what the routes cannot say themselves (the generation request
body, which is read raw so every field's error is ours, and the error shape)."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from videohook.catalog import Catalog
from videohook.models.lifecycle import EventType
from videohook.models.requests import IDEMPOTENCY_HEADER, MAX_METADATA_BYTES, MAX_URL_CHARS

TITLE = "videohook"
VERSION = "1.0.0"
DESCRIPTION = (
    "Webhooks for AI/ML API's poll-only video models: submit a generation with a callback URL, "
    "get a signed callback (Standard Webhooks) when the video is copied into your bucket. "
    "Every request needs an `x-api-key` header."
)
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"field": {"type": "string"}, "reason": {"type": "string"}},
                    },
                },
            },
        }
    },
}


def error_response(description: str) -> dict[str, Any]:
    """A ``responses`` entry for a route decorator: our error shape with ``description``."""
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def json_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"type": "object"}}}}


def generation_request_schema(catalog: Catalog) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["model", "callback_url"],
        "description": (
            "`model` plus that model's own parameters under the provider's names "
            "(GET /v1/models/{model} gives their JSON Schema), plus the service's fields."
        ),
        "properties": {
            "model": {
                "type": "string",
                "enum": sorted({name for spec in catalog.models() for name in (spec.id, *spec.aliases)}),
            },
            "callback_url": {"type": "string", "format": "uri", "maxLength": MAX_URL_CHARS},
            "callback_events": {
                "type": "array",
                "items": {"type": "string", "enum": [event.value for event in EventType]},
                "minItems": 1,
            },
            "metadata": {
                "type": "object",
                "description": f"Echoed in callbacks; at most {MAX_METADATA_BYTES} bytes of JSON.",
            },
        },
        "additionalProperties": True,
    }


def api_document(app: APIGatewayRestResolver, catalog: Catalog) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        app.get_openapi_json_schema(
            title=TITLE, version=VERSION, description=DESCRIPTION, openapi_version="3.1.0"
        )
    )
    components = document.setdefault("components", {})
    # Powertools adds its request-validation shapes; this API validates requests itself.
    components["schemas"] = {"Error": ERROR_SCHEMA}
    components["schemas"]["GenerationRequest"] = generation_request_schema(catalog)
    components["securitySchemes"] = {"apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"}}
    document["security"] = [{"apiKey": []}]
    create = document["paths"]["/v1/generations"]["post"]
    create["requestBody"] = {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/GenerationRequest"}}},
    }
    create.setdefault("parameters", []).append(
        {
            "name": IDEMPOTENCY_HEADER,
            "in": "header",
            "required": False,
            "schema": {"type": "string", "minLength": 1, "maxLength": 255},
            "description": "A repeat with the same key and body gets the first answer, submitting nothing.",
        }
    )
    # The routes read their query strings raw (every error in our own shape); say what they take.
    document["paths"]["/v1/usage"]["get"]["parameters"] = [
        _query("from", "ISO 8601 start of the range (default: 30 days before `to`)"),
        _query("to", "ISO 8601 end of the range (default: now)"),
    ]
    return document


def _query(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": {"type": "string", "format": "date-time"},
        "description": description,
    }

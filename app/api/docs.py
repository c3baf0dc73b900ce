"""The OpenAPI document, and the same document as a readable page (server-rendered, nothing from the internet)."""
from __future__ import annotations

import json

from flask import render_template, request

from . import bp
from .openapi import document

METHODS = ("get", "post", "put", "patch", "delete")
PROBLEM_EXAMPLE = {
    "type": "about:blank",
    "title": "Unprocessable Entity",
    "status": 422,
    "detail": "Some fields are wrong: see errors.",
    "errors": {"subject": ["Write a subject of 5 to 150 characters."]},
}


@bp.get("/openapi.json")
def openapi_json():
    return document(request.script_root + bp.url_prefix)


@bp.get("/docs")
def docs():
    doc = document(request.script_root + bp.url_prefix)
    components = doc["components"]
    operations = [
        _operation(path, method, spec, components)
        for path, item in doc["paths"].items()
        for method, spec in item.items()
        if method in METHODS
    ]
    tags = [{**tag, "operations": [o for o in operations if o["tag"] == tag["name"]]} for tag in doc["tags"]]
    schemas = [
        {"name": name, "description": prose(s.get("description", "")), "rows": rows(s), "type": tokens(s)}
        for name, s in components["schemas"].items()
    ]
    problems = [{"name": name, "description": prose(r["description"])} for name, r in components["responses"].items()]
    return render_template(
        "api/docs.html",
        doc=doc,
        description=[prose(paragraph) for paragraph in doc["info"]["description"].split("\n\n")],
        tags=tags,
        schemas=schemas,
        problems=problems,
        problem_example=json.dumps(PROBLEM_EXAMPLE, indent=2),
    )


def prose(text: str) -> list[dict]:
    """Text with `code` spans (the document's Markdown subset), as pieces for the template."""
    return [{"text": piece, "code": i % 2 == 1} for i, piece in enumerate(text.replace("**", "").split("`")) if piece]


def _operation(path, method, spec, components) -> dict:
    parameters = [_resolve(p, components) for p in spec.get("parameters", [])]
    body = spec.get("requestBody", {}).get("content", {})
    return {
        "id": spec["operationId"],
        "tag": spec["tags"][0],
        "method": method.upper(),
        "path": path,
        "summary": spec["summary"],
        "description": prose(spec.get("description", "")),
        "public": spec.get("security") == [],
        "parameters": [
            {**p, "type": tokens(p["schema"]), "notes": prose("; ".join(filter(None, [p.get("description", "").rstrip("."), notes(p["schema"])]))),
             "example": p.get("example")}
            for p in parameters
        ],
        "bodies": [_media(media, content) for media, content in body.items()],
        "responses": [_response(code, _resolve(r, components)) for code, r in spec["responses"].items()],
    }


def _response(code, response) -> dict:
    headers = [
        {"name": name, "required": h.get("required", False), "description": h.get("description", "")}
        for name, h in response.get("headers", {}).items()
    ]
    return {
        "code": code,
        "description": response["description"],
        "headers": headers,
        "media": [_media(media, content) for media, content in response.get("content", {}).items()],
    }


def _media(media, content) -> dict:
    example = content.get("example")
    return {
        "type": media,
        "schema": tokens(content.get("schema", {})),
        "example": json.dumps(example, indent=2, ensure_ascii=False) if example is not None else None,
    }


def _resolve(item, components):
    ref = item.get("$ref")
    if not ref:
        return item
    _, _, section, name = ref.split("/")
    return components[section][name]


def tokens(schema: dict) -> list[dict]:
    """A schema as text pieces; a piece with `ref` links to that schema's section."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return [{"text": name, "ref": name}]
    for combiner, joiner in (("anyOf", " or "), ("oneOf", " or "), ("allOf", " and ")):
        if combiner in schema:
            pieces: list[dict] = []
            for i, part in enumerate(schema[combiner]):
                if i:
                    pieces.append({"text": joiner, "ref": None})
                pieces += tokens(part)
            return pieces
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        kind = " or ".join(kind)
    if kind == "array":
        return [{"text": "array of ", "ref": None}, *tokens(schema.get("items", {}))]
    if kind == "object" and "additionalProperties" in schema and not schema.get("properties"):
        return [{"text": "object of ", "ref": None}, *tokens(schema["additionalProperties"])]
    if schema.get("format"):
        kind += f" ({schema['format']})"
    return [{"text": kind, "ref": None}]


def notes(schema: dict) -> str:
    """Constraints and description, in words."""
    said = []
    if "description" in schema:
        said.append(schema["description"])
    if "enum" in schema:
        said.append("one of: " + ", ".join(map(str, schema["enum"])))
    if "const" in schema:
        said.append(f"always {schema['const']}")
    if "minLength" in schema or "maxLength" in schema:
        said.append(f"{schema.get('minLength', 0)} to {schema.get('maxLength', '…')} characters")
    if "minimum" in schema or "maximum" in schema:
        said.append(f"from {schema.get('minimum', '…')} to {schema.get('maximum', '…')}")
    if "pattern" in schema:
        said.append(f"matches {schema['pattern']}")
    if "default" in schema:
        said.append(f"default {schema['default']}")
    if "examples" in schema:
        said.append("e.g. " + ", ".join(map(str, schema["examples"])))
    return "; ".join(part.rstrip(".") for part in said)


def rows(schema: dict) -> list[dict]:
    """The properties of an object schema (and of the inline objects in it), for a table."""
    if "allOf" in schema:
        return [row for part in schema["allOf"] for row in (rows(part) if "$ref" not in part else [_includes(part)])]
    required = set(schema.get("required", []))
    listed = [
        {
            "name": name,
            "type": tokens(prop),
            "required": name in required,
            "notes": prose(notes(prop)),
            "children": rows(prop) if prop.get("type") == "object" and prop.get("properties") else [],
        }
        for name, prop in schema.get("properties", {}).items()
    ]
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        listed.append({"name": "(any other name)", "type": tokens(extra), "required": False, "notes": [], "children": []})
    return listed


def _includes(part: dict) -> dict:
    name = part["$ref"].rsplit("/", 1)[1]
    return {"name": "", "type": [{"text": "every field of ", "ref": None}, {"text": name, "ref": name}],
            "required": True, "notes": [], "children": []}

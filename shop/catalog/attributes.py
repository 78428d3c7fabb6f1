"""Validation of a product's attribute bag against its category's schema.

Schemas are JSON Schema fragments (``properties`` and ``required``) declared per
category and merged down the tree; ``jsonschema`` does the checking and we
translate its errors into messages that name the offending attribute.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

ALLOWED_SCHEMA_KEYS = {"properties", "required", "description"}


def check_category_schema(schema: Any) -> None:
    """Reject a category schema staff could not have meant (raises ValidationError)."""
    if not isinstance(schema, dict):
        raise ValidationError({"attribute_schema": "The attribute schema must be a JSON object."})
    unknown = set(schema) - ALLOWED_SCHEMA_KEYS
    if unknown:
        raise ValidationError(
            {"attribute_schema": f"Unsupported keys {sorted(unknown)}; use 'properties' and 'required'."}
        )
    properties = schema.get("properties", {})
    if not isinstance(properties, dict):
        raise ValidationError({"attribute_schema": "'properties' must map attribute names to JSON Schemas."})
    required = schema.get("required", [])
    if not isinstance(required, list) or any(name not in properties for name in required):
        raise ValidationError({"attribute_schema": "'required' must list attributes declared in 'properties'."})
    try:
        Draft202012Validator.check_schema({"type": "object", **schema})
    except SchemaError as exc:
        raise ValidationError({"attribute_schema": f"Invalid schema: {exc.message}"}) from None


def merge_schemas(schemas: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Merge schemas from the root category down; a deeper category may refine an attribute."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for schema in schemas:
        properties.update(schema.get("properties", {}))
        required.extend(name for name in schema.get("required", []) if name not in required)
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


def effective_schema(category: Any) -> dict[str, Any]:
    """The merged schema of a category and its ancestors (a treebeard node)."""
    chain = [*type(category).objects.get_ancestors(category), category]
    return merge_schemas(node.attribute_schema or {} for node in chain)


def validate_for_category(bag: Any, category: Any) -> None:
    validate_bag(bag, effective_schema(category), category.name)


def validate_bag(bag: Any, schema: dict[str, Any], category_name: str) -> None:
    """Raise ValidationError on ``attributes`` with one message per offending attribute."""
    if not isinstance(bag, dict):
        raise ValidationError({"attributes": ["Attributes must be a JSON object of name → value."]})
    messages: list[str] = []
    for error in sorted(Draft202012Validator(schema).iter_errors(bag), key=lambda e: list(e.path)):
        if error.validator == "additionalProperties":
            for name in sorted(set(bag) - set(schema["properties"])):
                messages.append(f"{name}: not an attribute of category '{category_name}'.")
        elif error.validator == "required":
            for name in schema["required"]:
                if name not in bag:
                    messages.append(f"{name}: required for category '{category_name}'.")
        else:
            name = error.path[0] if error.path else "attributes"
            messages.append(f"{name}: {error.message}.")
    if messages:
        raise ValidationError({"attributes": sorted(set(messages))})

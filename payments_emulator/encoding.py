"""Stripe's request encoding: form fields with bracket notation (``a[b][0]=x``) into JSON-like values."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from payments_emulator.errors import invalid

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def decode_form(body: str) -> dict[str, Any]:
    """``card[number]=4242&expand[0]=latest_charge`` -> ``{"card": {"number": "4242"}, "expand": ["latest_charge"]}``.

    Values stay strings, as Stripe receives them; each endpoint converts what it reads.
    Dicts whose keys are all indexes become lists (the SDK always sends indexed arrays;
    ``a[]=x`` appends).
    """
    root: dict[str, Any] = {}
    for raw_key, value in parse_qsl(body, keep_blank_values=True, strict_parsing=False):
        match = _KEY.match(raw_key)
        if not match:
            raise invalid(f"Invalid parameter name: {raw_key}", param=raw_key)
        path = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        node = root
        for position, part in enumerate(path):
            last = position == len(path) - 1
            if part == "":
                part = str(sum(1 for key in node if key.isdigit()))
            if last:
                node[part] = value
            else:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    raise invalid(f"Invalid parameter: {raw_key} mixes a value and a hash", param=raw_key)
                node = child
    return _listify(root)


def _listify(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    converted = {key: _listify(item) for key, item in value.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


def as_int(params: dict[str, Any], name: str, *, required: bool = False) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise invalid(f"Missing required param: {name}.", param=name, code="parameter_missing")
        return None
    if not isinstance(raw, str) or not re.fullmatch(r"-?\d{1,15}", raw):
        raise invalid(f"Invalid integer: {raw}", param=name)
    return int(raw)


def as_bool(params: dict[str, Any], name: str, default: bool) -> bool:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if raw not in ("true", "false"):
        raise invalid(f"Invalid boolean: {raw}", param=name)
    return raw == "true"


def as_str(params: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise invalid(f"Missing required param: {name}.", param=name, code="parameter_missing")
        return None
    if not isinstance(raw, str):
        raise invalid(f"Invalid string: {name} must be a string", param=name)
    return raw


def as_metadata(params: dict[str, Any], name: str = "metadata") -> dict[str, str]:
    raw = params.get(name)
    if raw is None or raw == "":
        return {}
    if not isinstance(raw, dict) or any(not isinstance(v, str) for v in raw.values()):
        raise invalid("Invalid metadata: must be a hash of strings", param=name)
    if len(raw) > 50:
        raise invalid("Invalid metadata: at most 50 keys", param=name)
    return {key: value for key, value in raw.items() if value != ""}


def check_known(params: dict[str, Any], allowed: set[str]) -> None:
    """Stripe refuses unknown parameters; so do we, which catches typos in our own calls."""
    for name in params:
        if name not in allowed:
            raise invalid(f"Received unknown parameter: {name}", param=name, code="parameter_unknown")

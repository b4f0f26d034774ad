"""``{{name}}`` placeholders in event files: tokens and job ids cannot be written down in advance.

Substitution is textual inside JSON strings (keys too), so a placeholder may sit anywhere in a
value: ``"/jobs/{{job_id}}/events"``, ``"Bearer {{token}}"``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


class PlaceholderError(ValueError):
    pass


def placeholders_in(value: object) -> set[str]:
    """Every placeholder name used anywhere in ``value`` (a parsed JSON document)."""
    found: set[str] = set()

    def collect(text: str) -> str:
        found.update(_PLACEHOLDER.findall(text))
        return text

    _map_strings(value, collect)
    return found


def fill_placeholders(value: object, values: Mapping[str, str]) -> object:
    """A copy of ``value`` with every placeholder replaced; PlaceholderError names any unknown."""
    missing = placeholders_in(value) - set(values)
    if missing:
        raise PlaceholderError(f"no value for placeholder(s): {', '.join(sorted(missing))}")
    return _map_strings(value, lambda text: _PLACEHOLDER.sub(lambda m: values[m[1]], text))


def _map_strings(value: object, change: Callable[[str], str]) -> object:
    if isinstance(value, str):
        return change(value)
    if isinstance(value, list):
        return [_map_strings(item, change) for item in value]
    if isinstance(value, dict):
        return {change(str(key)): _map_strings(item, change) for key, item in value.items()}
    return value

"""Cells as people type them into spreadsheets, turned into the values `PointCreate` accepts.

Spreadsheets make everything text: "50,4501" is a latitude in a Ukrainian locale, "heat; power"
is a list of services, an empty cell means "not given". JSON may carry a phone as a number.
"""

from __future__ import annotations

import re
from typing import Any

from nezlam.interchange.mapping import LANGUAGE_FIELD, SIMPLE_FIELDS

NUMBER_FIELDS = frozenset({"lat", "lon", "capacity"})
TEXT_FIELDS = SIMPLE_FIELDS - NUMBER_FIELDS - {"services", "anchor"}
_DECIMAL_COMMA = re.compile(r"^\s*-?\d+,\d+\s*$")
_LIST_SEPARATOR = re.compile(r"[;,]")


def point_values(flat: dict[str, Any], default_region: str | None = None) -> dict[str, Any]:
    """The PointCreate input for one record's flat native fields (see mapping.is_native)."""
    values: dict[str, Any] = {}
    names = language_dict(flat, "name", "names")
    if names:
        values["name"] = names
    notes = language_dict(flat, "notes", None)
    if notes:
        values["notes"] = notes
    for name in SIMPLE_FIELDS & flat.keys():
        value = clean(name, flat[name])
        if value is not None:
            values[name] = value
    if "region" not in values and default_region:
        values["region"] = default_region
    return values


def language_dict(flat: dict[str, Any], prefix: str, plural: str | None) -> dict[str, Any]:
    """{"uk": ..., "en": ...} from `name` (text is Ukrainian, or already a dict), `names`, and
    `name_uk`-style columns, later ones winning."""
    result: dict[str, Any] = {}
    for key in (prefix, plural):
        value = flat.get(key) if key else None
        if isinstance(value, dict):
            result.update(value)
        elif isinstance(value, str) and value.strip():
            result["uk"] = value
    for key, value in flat.items():
        match = LANGUAGE_FIELD.match(key)
        if match and match[1] == prefix and value is not None:
            result[match[2]] = value if not isinstance(value, str) else value.strip()
    return {language: text for language, text in result.items() if text not in ("", None)}


def clean(name: str, value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
    if name == "services":
        return services_list(value)
    if name in NUMBER_FIELDS and isinstance(value, str) and _DECIMAL_COMMA.match(value):
        return value.replace(",", ".")
    if name in TEXT_FIELDS and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def services_list(value: Any) -> Any:
    """'heat; power' or 'heat,power' or a list -> ['heat', 'power']; anything else as it is,
    for validation to report."""
    if isinstance(value, str):
        return [code.strip() for code in _LIST_SEPARATOR.split(value) if code.strip()]
    if isinstance(value, list):
        return [code.strip() if isinstance(code, str) else code for code in value]
    return value

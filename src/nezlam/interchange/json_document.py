"""Parse a JSON file for the JSON and GeoJSON readers. JSON is UTF-8 by its standard (RFC 8259);
another encoding is honoured only when the caller names it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from nezlam.domain.errors import Invalid


def load(source: bytes | Path, encoding: str | None = None) -> Any:
    data = source.read_bytes() if isinstance(source, Path) else source
    try:
        text: bytes | str = data.decode(encoding) if encoding else data
        if isinstance(text, bytes) and text.startswith(b"\xef\xbb\xbf"):
            text = text[3:]
        if isinstance(text, str):
            text = text.lstrip("\ufeff")
        return orjson.loads(text)
    except (UnicodeDecodeError, LookupError) as exc:
        raise Invalid(f"cannot decode the file as {encoding}: {exc}", field="encoding") from exc
    except orjson.JSONDecodeError as exc:
        raise Invalid(f"not valid JSON: {exc}", field="file") from exc

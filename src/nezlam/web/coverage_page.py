"""Coverage in the coordinator's workspace: the last `nezlam coverage` run, as a table, the PNG
map and a map layer of walking minutes.

`nezlam coverage` (see `nezlam.coverage`) is the computation; it writes its files into
NEZLAM_COVERAGE_DIR (var/coverage by default). This page only shows them, to signed-in
coordinators: population estimates are not personal, but they are not for the public either.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from nezlam.domain.errors import NotFound
from nezlam.web.finder import page
from nezlam.web.session import coordinator_page
from nezlam.web.state import AppState

router = APIRouter(include_in_schema=False)
FILES = {
    "png": ("coverage.png", "image/png"),
    "geojson": ("coverage.geojson", "application/geo+json"),
}


def coverage_dir(request: Request) -> Path:
    state: AppState = request.app.state.nezlam
    return Path(state.settings.coverage_dir)


def read_table(path: Path) -> list[dict[str, Any]]:
    """coverage.csv as rows of district, population and the share within each threshold."""
    if not path.exists():
        return []
    by_district: dict[str, dict[str, Any]] = {}
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            entry = by_district.setdefault(
                row["district"],
                {"district": row["district"], "population": int(row["population"]), "shares": []},
            )
            share = float(row["share"]) if row["share"] else None
            entry["shares"].append((row["minutes"], share, int(row["covered"])))
    rows = sorted(by_district.values(), key=lambda r: (r["district"] != "all", r["district"]))
    return rows


@router.get("/coordinate/coverage", response_class=HTMLResponse)
def coverage(request: Request) -> Response:
    who = coordinator_page(request)
    if isinstance(who, Response):
        return who
    folder = coverage_dir(request)
    table = read_table(folder / "coverage.csv")
    made = None
    if (folder / "coverage.csv").exists():
        made = datetime.fromtimestamp((folder / "coverage.csv").stat().st_mtime, UTC)
    return page(
        request,
        "coverage.html",
        table=table,
        thresholds=[minutes for minutes, _share, _people in table[0]["shares"]] if table else [],
        made=made.strftime("%Y-%m-%d %H:%M UTC") if made else None,
        has_png=(folder / "coverage.png").exists(),
        has_layer=(folder / "coverage.geojson").exists(),
    )


@router.get("/coordinate/coverage.{kind}")
def coverage_file(request: Request, kind: str) -> Response:
    who = coordinator_page(request)
    if isinstance(who, Response):
        return who
    if kind not in FILES:
        raise NotFound(f"no coverage file of kind {kind!r}", field="kind")
    name, media_type = FILES[kind]
    path = coverage_dir(request) / name
    if not path.exists():
        raise NotFound("no coverage has been computed yet: run `nezlam coverage`", field="kind")
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "private"})

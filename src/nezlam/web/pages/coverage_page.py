"""Coverage and siting in the coordinator's workspace: the last `nezlam coverage` and `nezlam
site` runs, as tables, their PNG maps and one map with walking minutes and proposed sites.

The commands (see `nezlam.coverage`, `nezlam.siting`) are the computation; they write their
files into NEZLAM_COVERAGE_DIR and NEZLAM_SITING_DIR (var/coverage, var/siting). This page only
shows them, to signed-in coordinators: population estimates are not personal, but they are not
for the public either.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from nezlam.domain.errors import NotFound
from nezlam.interchange.spreadsheet import read_text
from nezlam.web.plumbing import i18n
from nezlam.web.plumbing.render import page
from nezlam.web.plumbing.session import SignedInCoordinator
from nezlam.web.plumbing.state import AppState
from nezlam.web.words.coordinate_words import local_name

router = APIRouter(include_in_schema=False)
# (what, kind) -> (the settings' folder, file name, media type)
FILES = {
    ("coverage", "png"): ("coverage_dir", "coverage.png", "image/png"),
    ("coverage", "geojson"): ("coverage_dir", "coverage.geojson", "application/geo+json"),
    ("sites", "png"): ("siting_dir", "sites.png", "image/png"),
    ("sites", "geojson"): ("siting_dir", "sites.geojson", "application/geo+json"),
}


def folder(request: Request, setting: str) -> Path:
    state: AppState = request.app.state.nezlam
    return Path(getattr(state.settings, setting))


def made_at(path: Path) -> str | None:
    if not path.exists():
        return None
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M UTC")


def read_table(path: Path) -> list[dict[str, Any]]:
    """coverage.csv as rows of district, population and the share within each threshold."""
    if not path.exists():
        return []
    by_district: dict[str, dict[str, Any]] = {}
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            district = read_text(row["district"])  # as nezlam coverage stored it
            entry = by_district.setdefault(
                district,
                {"district": district, "population": int(row["population"]), "shares": []},
            )
            share = float(row["share"]) if row["share"] else None
            minutes = f"{float(row['minutes']):g}"  # 5.0 reads as 5, 7.5 stays 7.5
            entry["shares"].append((minutes, share, int(row["covered"])))
    return sorted(by_district.values(), key=lambda r: (r["district"] != "all", r["district"]))


def read_sites(path: Path) -> list[dict[str, str]]:
    """sites.csv: the ranked sites as `nezlam site` wrote them (covering or p-median)."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return [{k: read_text(v or "") for k, v in row.items()} for row in csv.DictReader(handle)]


@router.get("/coordinate/coverage", response_class=HTMLResponse)
def coverage(request: Request, who: SignedInCoordinator) -> Response:
    covered, sited = folder(request, "coverage_dir"), folder(request, "siting_dir")
    table = read_table(covered / "coverage.csv")
    sites = read_sites(sited / "sites.csv")
    lang = i18n.choose_language(request)
    return page(
        request,
        "coverage.html",
        local=lambda name: local_name(name, lang),  # districts and sites, as English reads them
        table=table,
        thresholds=[minutes for minutes, _share, _people in table[0]["shares"]] if table else [],
        made=made_at(covered / "coverage.csv"),
        has_png=(covered / "coverage.png").exists(),
        sites=sites,
        covering=bool(sites) and "population_added" in sites[0],
        sites_made=made_at(sited / "sites.csv"),
        has_sites_png=(sited / "sites.png").exists(),
        layers=[
            f"/coordinate/{what}.geojson"
            for what, setting, name in (
                ("coverage", covered, "coverage.geojson"),
                ("sites", sited, "sites.geojson"),
            )
            if (setting / name).exists()
        ],
    )


@router.get("/coordinate/coverage.{kind}")
def coverage_file(request: Request, kind: str, _who: SignedInCoordinator) -> Response:
    return result_file(request, "coverage", kind)


@router.get("/coordinate/sites.{kind}")
def sites_file(request: Request, kind: str, _who: SignedInCoordinator) -> Response:
    return result_file(request, "sites", kind)


def result_file(request: Request, what: str, kind: str) -> Response:
    """One of the files a run wrote (the routes let coordinators only this far)."""
    if (what, kind) not in FILES:
        raise NotFound(f"no {what} file of kind {kind!r}", field="kind")
    setting, name, media_type = FILES[(what, kind)]
    path = folder(request, setting) / name
    if not path.exists():
        command = "nezlam coverage" if what == "coverage" else "nezlam site"
        raise NotFound(f"nothing computed yet: run `{command}`", field="kind")
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "private"})

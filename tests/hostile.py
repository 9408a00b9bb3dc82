"""Hostile text in every field a person can write, planted through the same store functions the
API and the forms call, for test_injection.py (in-process) and test_browser_injection.py (a real
Chromium). Each field gets its own tag, then as many attacks as its length limit allows:

- `</script>` and a `<meta http-equiv=refresh>` to a phishing page (review finding B1),
- `"><img onerror>` and `'><svg onload>`, which break out of a double- or single-quoted attribute,
- `{{7*7}}` (text rendered as a template would read 49), `javascript:` (a link's scheme),
- U+2028 and U+2029, which once ended a JavaScript string literal.

`plant` is given `now`: the fake clock in-process, the real one for the browser's real server.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from nezlam.domain.points import (
    OrganisationCreate,
    OrganisationUpdate,
    PointUpdate,
    ReportCreate,
    RoleGrantCreate,
    UserCreate,
    UserUpdate,
)
from nezlam.domain.vocabulary import INSPECTION_ITEMS, SignalKind
from nezlam.store import (
    accounts,
    calls,
    inspections,
    needs,
    onboarding,
    points,
    reports,
    signals,
)
from nezlam.store.actor import CLI
from nezlam.store.db import Database
from nezlam.store.inspections import InspectionInput
from nezlam.store.needs import NeedInput
from nezlam.store.tables import User
from tests.conftest import REGION_A, point_create

META = "</script><meta http-equiv=refresh content=0;url=http://127.0.0.1:9/phish>"
IMG = '"><img src=x onerror=alert(1)>'
SVG = "'><svg onload=alert(1)>"
SEPARATORS = "\u2028line\u2029paragraph"  # never at an end, where strip() would take it
TEMPLATE = "{{7*7}}"
SCHEME = "javascript:alert(1)"
PAYLOADS = (META, IMG, SVG, SEPARATORS, TEMPLATE, SCHEME)
UNIT = '"><svg onload=1>'  # a need's unit holds 16 characters
POINT_R = "point-r"  # a second point of point-a's operator, in a region named by an attacker
PASSWORD = "a long enough passphrase"
# The injected elements a page must never contain, as a CSS selector for the browser.
INJECTED = "meta[http-equiv], img[onerror], svg[onload]"


def hostile(tag: str, limit: int = 200, leave_out: tuple[str, ...] = ()) -> str:
    """`tag`, then as many of the payloads as fit in `limit` characters, in PAYLOADS order."""
    text = tag
    for payload in PAYLOADS:
        if payload not in leave_out and len(text) + 1 + len(payload) <= limit:
            text += " " + payload
    return text


def _texts() -> dict[str, str]:
    texts = {
        key: hostile(tag, limit)
        for key, tag, limit in (
            ("name_uk", "Назва", 200),
            ("name_en", "Name", 200),
            ("address", "Адреса", 300),
            ("notes_uk", "Примітки", 1000),
            ("notes_en", "Notes", 1000),
            ("locality", "Місто", 120),
            ("org", "Організація", 200),
            ("r_name_uk", "Юрта", 200),
            ("r_name_en", "Yurt", 200),
            ("r_locality", "Село", 120),
            ("region", "Область", 120),
            ("display_operator", "Оператор", 200),
            ("display_coordinator", "Координатор", 200),
            ("need_details", "Потреба", 300),
            ("donor_org", "Донор", 200),
            ("pledge_note", "Обіцянка", 300),
            ("inspection_notes", "Огляд", 1000),
            ("task_note", "Завдання", 300),
            ("call_note", "Дзвінок", 300),
            ("app_org", "Заявник", 200),
            ("app_contact", "Контакт", 200),
            ("app_message", "Повідомлення", 1000),
            ("app_point", "Пункт заявки", 200),
            ("app_address", "Адреса заявки", 300),
            ("app_locality", "Місто заявки", 120),
            ("rejected_org", "Відхилений", 200),
            ("decision_note", "Причина", 500),
            ("district", "Район", 300),
            ("site", "Місце", 300),
        )
    }
    # Opening hours take free text only inside a "comment", which cannot hold a double quote.
    texts["hours"] = '24/7 "' + hostile("Години", 480, leave_out=(IMG,)) + '"'
    texts["unit"] = UNIT
    return texts


TEXTS = _texts()


@dataclass
class Planted:
    texts: dict[str, str] = field(default_factory=lambda: dict(TEXTS))
    need_id: int = 0


def principal(session, username: str):
    user = session.execute(sa.select(User).where(User.username == username)).scalar_one()
    return accounts.principal_for(session, user)


def plant(db: Database, now: datetime) -> Planted:
    """Everything hostile, on top of conftest's `network` (point-a in Kyiv, run by org-a and
    operated by operator_a; coordinator_a coordinates Kyiv)."""
    planted = Planted()
    t = planted.texts
    with db.write() as session:
        _points(session, t, now)
        _people(session, t)
        planted.need_id = _needs(session, t, now)
        _inspection_and_calls(session, t, now)
        _applications(session, t, now)
    return planted


def _points(session, t: dict[str, str], now: datetime) -> None:
    accounts.update_organisation(
        session, "org-a", OrganisationUpdate(name=t["org"], phone="+380 44 765 4321"), CLI
    )
    points.update_point(
        session,
        "point-a",
        PointUpdate(
            name={"uk": t["name_uk"], "en": t["name_en"]},
            address=t["address"],
            locality=t["locality"],
            notes={"uk": t["notes_uk"], "en": t["notes_en"]},
            opening_hours=t["hours"],
            phone="+380 44 123 4567",
        ),
        CLI,
        now=now,
    )
    # No address: the public pages then show its locality instead. A kilometre from point-a,
    # so that no map draws the two as one cluster.
    data = point_create(
        POINT_R, t["region"], 50.4590, 30.5300, organisation="org-a", address=None,
        name={"uk": t["r_name_uk"], "en": t["r_name_en"]}, locality=t["r_locality"],
    )  # fmt: skip
    points.create_point(session, data, CLI, now=now)
    # Open on a generator nearly out of fuel: a notification for its coordinators.
    low = ReportCreate(status="open", power="generator", fuel_litres=5.0)
    reports.add_report(session, "point-a", low, CLI, now=now)
    for _ in range(3):  # three visitors say it is closed: flagged, and in the signal inbox
        signals.add_signal(
            session, "point-a", SignalKind.CLOSED, window=timedelta(hours=2), threshold=3, now=now
        )


def _people(session, t: dict[str, str]) -> None:
    for username, key in (
        ("operator_a", "display_operator"),
        ("coordinator_a", "display_coordinator"),
    ):
        user = accounts.get_user(session, username)
        accounts.update_user(session, user, UserUpdate(display_name=t[key]), CLI)
    coordinator = accounts.get_user(session, "coordinator_a")
    accounts.grant_role(
        session, coordinator, RoleGrantCreate(role="coordinator", region=t["region"]), CLI
    )
    operator = accounts.get_user(session, "operator_a")
    accounts.grant_role(session, operator, RoleGrantCreate(role="operator", point_id=POINT_R), CLI)
    accounts.create_organisation(
        session, OrganisationCreate(slug="donors-x", name=t["donor_org"], kind="ngo"), CLI
    )
    accounts.create_user(session, UserCreate(username="donor", organisation="donors-x"), CLI)


def _needs(session, t: dict[str, str], now: datetime) -> int:
    need = needs.post_need(
        session,
        "point-a",
        NeedInput("diesel", 200.0, "high", t["unit"], t["need_details"]),
        principal(session, "operator_a"),
        now,
    )
    needs.pledge(session, need.id, 50.0, t["pledge_note"], principal(session, "donor"), now)
    return need.id


def _inspection_and_calls(session, t: dict[str, str], now: datetime) -> None:
    coordinator = principal(session, "coordinator_a")
    answers = {item: "pass" for item in INSPECTION_ITEMS} | {"heating": "fail"}
    checklist = InspectionInput(answers, {"heating": t["task_note"]}, t["inspection_notes"])
    inspections.inspect(session, "point-a", checklist, coordinator, now)
    called = calls.claim_point(session, coordinator, "point-a", now)
    calls.record_call(session, called.id, "no_answer", t["call_note"], coordinator, now)
    calls.claim_point(session, coordinator, POINT_R, now)  # in "My calls", not yet called


def _applications(session, t: dict[str, str], now: datetime) -> None:
    """One application waiting, one rejected with a reason."""
    for username, org_key in (("applicant", "app_org"), ("rejected", "rejected_org")):
        offered = onboarding.ApplicationPoint(
            name=t["app_point"],
            address=t["app_address"],
            locality=t["app_locality"],
            lat=50.46,
            lon=30.50,
            services=["heat"],
            opening_hours="24/7",
        )
        application = onboarding.submit_application(
            session,
            onboarding.ApplicationCreate(
                organisation_name=t[org_key],
                organisation_kind="business",
                contact_name=t["app_contact"],
                phone="+380 67 555 1212",
                username=username,
                password=PASSWORD,
                region=REGION_A,
                message=t["app_message"],
                points=[offered],
            ),
            now,
        )
    coordinator = principal(session, "coordinator_a")
    onboarding.decide(
        session, application.id, coordinator, approve=False, note=t["decision_note"], now=now
    )


def write_coverage(coverage_dir: Path, siting_dir: Path, t: dict[str, str]) -> None:
    """What `nezlam coverage` and `nezlam site` leave for the coverage page, with a district and
    a site named by attackers (districts come from points' localities or OpenStreetMap, sites
    from OpenStreetMap): one cell around point-a, one proposed site at its edge."""
    coverage_dir.mkdir(parents=True, exist_ok=True)
    siting_dir.mkdir(parents=True, exist_ok=True)
    district, site = t["district"], t["site"]
    table = [["district", "population", "minutes", "covered", "share"], ["all", 1000, 15, 900, 0.9]]
    table.append([district, 1000, 15, 900, 0.9])
    (coverage_dir / "coverage.csv").write_text(_csv(table), encoding="utf-8")
    ring = [[30.50, 50.44], [30.54, 50.44], [30.54, 50.46], [30.50, 50.46], [30.50, 50.44]]
    cell = {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {"population": 1000.0, "minutes": 7.5, "band": "≤ 10 min",
                       "district": district, "h3": None},
    }  # fmt: skip
    _write_json(
        coverage_dir / "coverage.geojson", {"type": "FeatureCollection", "features": [cell]}
    )
    columns = ["rank", "name", "lat", "lon", "population_added", "population_covered",
               "coverage_percent"]  # fmt: skip
    sites = _csv([columns, [1, site, 50.441, 30.539, 120, 1020, 91.5]])
    (siting_dir / "sites.csv").write_text(sites, encoding="utf-8")
    proposed = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [30.539, 50.441]},
        "properties": {"rank": 1, "name": site, "population_added": 120},
    }
    _write_json(siting_dir / "sites.geojson", collection([proposed]))


def collection(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


def _write_json(path: Path, body: object) -> None:
    path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")


def _csv(rows: list[list[object]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()

"""The operator's needs page says what its two closing buttons do (review O8) and writes its
amounts once punctuated (review O6: "доставлено 20 уп.." had a double full stop)."""

import html
import re

import sqlalchemy as sa

from nezlam.store.tables import Pledge
from tests.conftest import sign_in_as
from tests.test_needs import add_need, post, world  # noqa: F401


def test_delivered_packs_are_written_without_a_double_full_stop(world, db, clock):  # noqa: F811
    need = add_need(db, clock, "point-a", item="tea", quantity=30)  # 20 of 30 arrive: still open
    csrf = sign_in_as(world, db, "donor", clock())
    post(world, f"/coordinate/needs/{need}/pledge", csrf, quantity="20")
    with db.read() as session:
        pledge = session.execute(sa.select(Pledge.id)).scalar_one()
    post(world, f"/coordinate/pledges/{pledge}/delivered", csrf)
    sign_in_as(world, db, "operator_a", clock())
    page = html.unescape(world.get("/operate/point-a/needs").text)
    assert "Обіцяно: 20 уп. · доставлено: 20 уп." in page
    assert ".." not in re.sub(r"<[^>]+>", "", page)


def test_the_two_ways_to_close_a_need_are_told_apart(world, db, clock):  # noqa: F811
    add_need(db, clock, "point-a", item="water", quantity=50)
    sign_in_as(world, db, "operator_a", clock())
    page = html.unescape(world.get("/operate/point-a/needs").text)
    met = re.search(r'<button[^>]*value="met"[^>]*>([^<]+)</button>', page)
    cancelled = re.search(r'<button[^>]*value="cancelled"[^>]*>([^<]+)</button>', page)
    assert met and met[1] == "Отримали"
    assert cancelled and cancelled[1] == "Зняти: більше не потрібно"
    assert (
        'aria-describedby="closing-hint"' in met[0]
        and 'aria-describedby="closing-hint"' in (cancelled[0])
    )
    hint = re.search(r'<p class="hint" id="closing-hint">([^<]+)</p>', page)
    assert hint and "як виконану" in hint[1] and "як непотрібну" in hint[1]

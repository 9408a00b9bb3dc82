"""The operator's needs page says what its two closing buttons do (review O8) and writes its
amounts once punctuated (review O6: "доставлено 20 уп.." had a double full stop). In English,
the board and the operator's page write addresses, localities, regions and organisations in the
national transliteration with the Cyrillic beside them (review C13)."""

import html
import re

import pytest
import sqlalchemy as sa

from nezlam.domain.points import OrganisationCreate, UserCreate
from nezlam.store import accounts
from nezlam.store.actor import CLI
from nezlam.store.tables import Pledge
from tests.conftest import sign_in_as
from tests.test_needs import EN, add_need, post, world  # noqa: F401

ORIGINAL = '<span class="original" lang="uk">'  # the Cyrillic beside the Latin


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


@pytest.fixture
def kyiv_volunteers(world, db, clock):  # noqa: F811
    """An organisation with a Ukrainian name, one member, and its pledge on point-a's diesel:
    the client and the need."""
    with db.write() as session:
        name = OrganisationCreate(slug="kyiv-vol", name="Волонтери Києва", kind="ngo")
        accounts.create_organisation(session, name, CLI)
        member = UserCreate(username="volunteer", organisation="kyiv-vol")
        accounts.create_user(session, member, CLI)
    need = add_need(db, clock, "point-a", quantity=200)
    csrf = sign_in_as(world, db, "volunteer", clock())
    post(world, f"/coordinate/needs/{need}/pledge", csrf, quantity="50")
    return world, need


def card_of(page, need):
    return page[page.index(f'id="need-{need}"') :]


def test_the_english_board_writes_places_in_latin_beside_the_cyrillic(kyiv_volunteers, db, clock):
    client, need = kyiv_volunteers
    add_need(db, clock, "point-b", item="water")  # in Харківська область
    board = client.get("/coordinate/needs", headers=EN).text
    card = card_of(board, need)
    place = f"vul. Testova, 7 {ORIGINAL}(вул. Тестова, 7)</span> · Kyiv {ORIGINAL}(Київ)</span>"
    assert f"</a> · {place}</p>" in card
    assert f"<li>Volontery Kyieva {ORIGINAL}(Волонтери Києва)</span>: 50 l ·" in card
    assert f"You pledge for Volontery Kyieva {ORIGINAL}(Волонтери Києва)</span>." in board
    # The filter still asks for the region as stored, whatever its label says.
    assert '<option value="Київ" >Kyiv (Київ)</option>' in board
    assert '<option value="Харківська область" >Kharkivska oblast (Харківська область)' in board
    kyiv_only = client.get("/coordinate/needs", params={"region": "Київ"}, headers=EN).text
    assert re.findall(r'id="need-(\d+)"', kyiv_only) == [str(need)]


def test_the_ukrainian_board_writes_them_once_in_cyrillic(kyiv_volunteers):
    client, need = kyiv_volunteers
    board = client.get("/coordinate/needs").text
    card = card_of(board, need)
    assert "</a> · вул. Тестова, 7 · Київ</p>" in card and "<li>Волонтери Києва: 50 л ·" in card
    assert "Ви обіцяєте від імені: Волонтери Києва." in board
    assert '<option value="Київ" >Київ</option>' in board
    assert "vul. Testova" not in board and "Volontery" not in board and ORIGINAL not in board


def test_the_operator_page_names_the_pledging_organisation_in_its_language(
    kyiv_volunteers, db, clock
):
    client, _ = kyiv_volunteers
    sign_in_as(client, db, "operator_a", clock())
    english = client.get("/operate/point-a/needs", headers=EN).text
    assert f"<li>Volontery Kyieva {ORIGINAL}(Волонтери Києва)</span>: 50 l ·" in english
    ukrainian = client.get("/operate/point-a/needs").text
    assert "<li>Волонтери Києва: 50 л ·" in ukrainian and "Volontery" not in ukrainian

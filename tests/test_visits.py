"""After a visit: four quick answers counted like visitor signals (nothing about the visitor
kept), shown aggregated over the last week; a comment waits until a coordinator of the point's
region publishes it, and only then is it shown, as text, on the point's public page."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from nezlam.domain.errors import Conflict, Forbidden, Invalid, NotFound
from nezlam.domain.points import PointUpdate
from nezlam.domain.vocabulary import Visibility
from nezlam.store import accounts, audit, points, visits
from nezlam.store.actor import CLI, Actor
from nezlam.store.tables import Base, VisitComment
from tests.conftest import REGION_A, REGION_B, sign_in_as

EN = {"Accept-Language": "en"}
HOSTILE = "</script><b>x"
YES_OPEN = visits.Answers(was_open=True, warm=True, charged=False)


def answer(db, clock, point_id, answers=YES_OPEN, comment=None, *, ago=timedelta(0)):
    with db.write() as session:
        return visits.record(
            session, point_id, answers, comment, language="uk", source="web", now=clock() - ago
        )


def moderate(db, clock, comment_id, decision, username):
    with db.write() as session:
        principal = accounts.principal_for(session, accounts.get_user(session, username))
        visits.moderate(session, comment_id, decision, Actor.of(principal), principal, clock())


def week(db, clock, point_id):
    with db.read() as session:
        return visits.summary(session, point_id, clock() - visits.WEEK)


# --- The store ---------------------------------------------------------------------------------


def test_answers_are_counted_per_question_over_the_last_week(db, network, clock):
    answer(db, clock, network.point_a)
    answer(
        db,
        clock,
        network.point_a,
        visits.Answers(was_open=True, internet=True),
        ago=timedelta(days=6),
    )
    answer(db, clock, network.point_a, visits.Answers(was_open=False), ago=timedelta(days=8))
    answer(db, clock, network.point_b, visits.Answers(warm=False))
    summary = week(db, clock, network.point_a)
    assert summary.visitors == 2  # the one of 8 days ago is outside the week
    assert summary.tallies == {
        "was_open": visits.Tally(yes=2, no=0),
        "warm": visits.Tally(yes=1, no=0),
        "charged": visits.Tally(yes=0, no=1),
        "internet": visits.Tally(yes=1, no=0),
    }
    with db.read() as session:
        both = visits.summaries(
            session, [network.point_a, network.point_b, "quiet"], clock() - visits.WEEK
        )
    assert both[network.point_b].tallies["warm"] == visits.Tally(yes=0, no=1)
    assert both["quiet"] == visits.Summary()  # every point asked for, answered or not


def test_a_missing_or_hidden_point_is_not_found(db, network, clock):
    with pytest.raises(NotFound):
        answer(db, clock, "nowhere")
    with db.write() as session:
        data = PointUpdate(visibility=Visibility.HIDDEN)
        points.update_point(session, network.point_b, data, CLI, now=clock())
    with pytest.raises(NotFound):
        answer(db, clock, network.point_b, comment="тепло")
    assert week(db, clock, network.point_b).visitors == 0


@pytest.mark.parametrize(
    ("answers", "comment", "field"),
    [
        (visits.Answers(), None, "answers"),
        (visits.Answers(), "   \n ", "answers"),  # only blanks: no comment at all
        (YES_OPEN, "x" * 501, "comment"),
        (YES_OPEN, "тепло\x00", "comment"),
    ],
)
def test_nothing_said_or_a_bad_comment_is_refused_naming_the_field(
    db, network, clock, answers, comment, field
):
    with pytest.raises(Invalid) as refused:
        answer(db, clock, network.point_a, answers, comment)
    assert refused.value.field == field
    assert week(db, clock, network.point_a).visitors == 0
    with db.read() as session:
        assert session.execute(sa.select(sa.func.count()).select_from(VisitComment)).scalar() == 0


def test_a_comment_is_kept_trimmed_and_only_the_comment_when_nothing_was_answered(
    db, network, clock
):
    done = answer(db, clock, network.point_a, visits.Answers(), "  " + "ж" * 500 + "\n")
    assert done == visits.Recorded(answered=False, comment_id=done.comment_id)
    with db.read() as session:
        (waiting,) = visits.pending(session, None)
    assert waiting.text == "ж" * 500 and waiting.language == "uk" and waiting.source == "web"
    assert week(db, clock, network.point_a).visitors == 0  # a comment alone is no answer


def test_an_unknown_source_or_language_is_refused(db, network, clock):
    with db.write() as session, pytest.raises(Invalid) as refused:
        visits.record(session, network.point_a, YES_OPEN, language="uk", source="fax", now=clock())
    assert refused.value.field == "source"
    with db.write() as session, pytest.raises(Invalid) as refused:
        visits.record(session, network.point_a, YES_OPEN, language="<b>", source="web", now=clock())
    assert refused.value.field == "language"


def test_a_comment_waits_for_a_coordinator_of_its_region(db, network, clock):
    comment_id = answer(db, clock, network.point_a, comment="Гарячий чай").comment_id
    with db.read() as session:
        assert [c.id for c in visits.pending(session, [REGION_A])] == [comment_id]
        assert visits.pending(session, [REGION_B]) == []
        assert visits.published(session, network.point_a) == []
    with pytest.raises(Forbidden):
        moderate(db, clock, comment_id, "publish", "coordinator_b")
    with pytest.raises(Forbidden):
        moderate(
            db, clock, comment_id, "publish", "operator_a"
        )  # answers for it, moderates nothing
    moderate(db, clock, comment_id, "publish", "coordinator_a")
    with db.read() as session:
        assert [c.text for c in visits.published(session, network.point_a)] == ["Гарячий чай"]
        assert visits.pending(session, None) == []
        (entry,) = audit.entries(session, "visit_comment", str(comment_id))
    assert (entry.actor, entry.action) == ("user:coordinator_a", "publish")
    assert (entry.before, entry.after) == ({"status": "pending"}, {"status": "published"})
    with pytest.raises(Conflict):  # decided once: a second moderator is told
        moderate(db, clock, comment_id, "reject", "admin")


def test_an_admin_moderates_everywhere_and_a_rejected_comment_is_never_shown(db, network, clock):
    comment_id = answer(db, clock, network.point_b, comment="Зачинено о 20:00").comment_id
    moderate(db, clock, comment_id, "reject", "admin")
    with db.read() as session:
        assert visits.published(session, network.point_b) == []
        row = session.get(VisitComment, comment_id)
        assert (row.status, row.moderated_at) == ("rejected", clock())
        assert audit.entries(session, "visit_comment", str(comment_id))[0].action == "reject"
    with pytest.raises(NotFound):
        moderate(db, clock, 9999, "publish", "admin")
    with pytest.raises(Invalid):
        moderate(db, clock, comment_id, "delete", "admin")


def test_the_newest_three_published_comments_are_shown(db, network, clock):
    for hours in (5, 4, 3, 2):
        comment_id = answer(
            db, clock, network.point_a, comment=f"{hours} h ago", ago=timedelta(hours=hours)
        ).comment_id
        moderate(db, clock, comment_id, "publish", "coordinator_a")
    with db.read() as session:
        shown = visits.published(session, network.point_a)
    assert [c.text for c in shown] == ["2 h ago", "3 h ago", "4 h ago"]


# --- The pages ---------------------------------------------------------------------------------


def visit(client, point_id, headers=None, **fields):
    return client.post(
        f"/points/{point_id}/visit", data=fields, headers=headers or {}, follow_redirects=False
    )


def outcome(response) -> str:
    assert response.status_code == 303
    return parse_qs(urlsplit(response.headers["location"]).query)["visit"][0]


def test_the_point_page_asks_four_questions_in_a_plain_form(app_client, network):
    page = app_client.get(f"/points/{network.point_a}", headers=EN).text
    form = page[page.index('action="/points/point-a/visit"') :]
    form = form[: form.index("</form>")]
    for name in ("was_open", "warm", "charged", "internet"):
        assert f'name="{name}" value="yes"' in form and f'name="{name}" value="no"' in form
    assert "checked" not in form  # nothing answered until the visitor answers
    assert 'name="comment"' in form and 'maxlength="500"' in form
    assert "Were you here?" in page and "Ви були тут?" in app_client.get("/points/point-a").text


def test_a_visitor_is_told_what_was_recorded_and_the_week_is_summed_up(app_client, network, db):
    sent = visit(app_client, network.point_a, was_open="yes", warm="no", comment="Є чай")
    assert outcome(sent) == "thanks"
    page = app_client.get(sent.headers["location"], headers=EN).text
    assert "Thank you! You answered: open — yes, warm — no." in page
    assert "Your comment waits for a coordinator" in page
    assert "1 visitor this week: open 1, warm 0 <small>" in page  # nothing on the others
    assert "Є чай" not in page  # not before a coordinator publishes it
    ukrainian = app_client.get(sent.headers["location"]).text
    assert "Дякуємо! Ви відповіли: відчинено — так, тепло — ні." in ukrainian
    assert "1 відвідувач за тиждень: відчинено 1, тепло 0 <small>" in ukrainian
    with db.read() as session:
        (waiting,) = visits.pending(session, None)
    assert waiting.text == "Є чай" and waiting.source == "web"


def test_a_forged_receipt_says_only_thank_you(app_client, network):
    sent = visit(app_client, network.point_a, was_open="no")
    forged = sent.headers["location"].replace("said=n---", "said=y---")
    page = app_client.get(forged, headers=EN).text
    assert "Thank you!" in page and "You answered" not in page


def test_the_same_visitor_is_counted_once_per_point_and_refusals_spend_nothing(app_client, network):
    assert outcome(visit(app_client, network.point_a)) == "empty"
    assert outcome(visit(app_client, network.point_a, warm="maybe")) == "invalid"
    long = visit(app_client, network.point_a, warm="yes", comment="я" * 501)
    assert outcome(long) == "long"
    assert "at most 500 characters" in app_client.get(long.headers["location"], headers=EN).text
    assert outcome(visit(app_client, network.point_a, warm="yes")) == "thanks"
    assert outcome(visit(app_client, network.point_a, warm="yes")) == "already"
    assert outcome(visit(app_client, "nowhere", warm="yes")) == "invalid"


def test_a_flood_from_one_connection_is_refused_with_the_signals(app_client, network):
    state = app_client.app.state.nezlam
    for _ in range(state.signal_volume.limit):
        state.signal_volume.allow(state.signal_volume.client_key("testclient"))
    assert outcome(visit(app_client, network.point_a, warm="yes")) == "busy"


def test_a_visit_posted_from_another_site_is_refused(app_client, network, db, clock):
    refused = visit(
        app_client,
        network.point_a,
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
        was_open="no",
        comment="spam",
    )
    assert refused.status_code == 403
    assert week(db, clock, network.point_a).visitors == 0
    with db.read() as session:
        assert visits.pending(session, None) == []


def test_nothing_about_the_visitor_is_stored(app_client, network, db):
    visit(
        app_client,
        network.point_a,
        was_open="yes",
        comment="дякую",
        headers={"User-Agent": "ua-probe"},
    )
    with db.read() as session:
        dump = "\n".join(
            repr(tuple(row))
            for table in Base.metadata.sorted_tables
            for row in session.execute(sa.select(table))
        )
    assert "testclient" not in dump and "ua-probe" not in dump and "дякую" in dump
    columns = {c.name for c in Base.metadata.tables["visit_answers"].columns}
    assert columns == {"id", "point_id", "at", "source", "was_open", "warm", "charged", "internet"}


def csrf_of(html: str) -> str:
    start = html.index('name="csrf" value="') + len('name="csrf" value="')
    return html[start : html.index('"', start)]


def test_a_comment_is_shown_escaped_and_only_after_it_is_published(app_client, network, db, clock):
    visit(app_client, network.point_a, charged="yes", comment=HOSTILE)
    public = f"/points/{network.point_a}"
    assert "&lt;b&gt;x" not in app_client.get(public).text  # pending: not public
    sign_in_as(app_client, db, "coordinator_a", clock())
    queue = app_client.get("/coordinate/comments", headers=EN).text
    assert "&lt;/script&gt;&lt;b&gt;x" in queue and "<b>x" not in queue
    comment_id = visits_waiting(db)[0]
    done = app_client.post(
        f"/coordinate/comments/{comment_id}",
        data={"csrf": csrf_of(queue), "action": "publish"},
        follow_redirects=False,
    )
    assert done.headers["location"] == "/coordinate/comments?done=published"
    assert "No comments are waiting." in app_client.get("/coordinate/comments", headers=EN).text
    app_client.cookies.clear()
    page = app_client.get(public, headers=EN).text
    shown = page[page.index("What visitors wrote") :]
    assert "&lt;/script&gt;&lt;b&gt;x" in shown and "<b>x" not in page


def visits_waiting(db) -> list[int]:
    with db.read() as session:
        return [c.id for c in visits.pending(session, None)]


def test_another_regions_coordinator_neither_sees_nor_decides_a_comment(
    app_client, network, db, clock
):
    visit(app_client, network.point_a, comment="Тут тепло")
    (comment_id,) = visits_waiting(db)
    csrf = sign_in_as(app_client, db, "coordinator_b", clock())
    queue = app_client.get("/coordinate/comments").text
    assert "Тут тепло" not in queue and "Немає коментарів, що чекають на перевірку." in queue
    refused = app_client.post(
        f"/coordinate/comments/{comment_id}",
        data={"csrf": csrf, "action": "publish"},
        follow_redirects=False,
    )
    assert refused.status_code == 403 and visits_waiting(db) == [comment_id]
    forged = app_client.post(
        f"/coordinate/comments/{comment_id}", data={"csrf": "forged", "action": "publish"}
    )
    assert forged.status_code == 403


def test_the_coordinators_point_page_shows_the_weeks_answers(app_client, network, db, clock):
    answer(db, clock, network.point_a, visits.Answers(was_open=True, internet=False))
    answer(db, clock, network.point_a, visits.Answers(was_open=False), ago=timedelta(days=2))
    sign_in_as(app_client, db, "coordinator_a", clock())
    page = app_client.get(f"/coordinate/points/{network.point_a}", headers=EN).text
    section = page[page.index("Visitors&#39; answers, last 7 days") :]
    assert "2 visitors this week: open 1, internet 0</p>" in section  # nobody said if warm
    assert '<th scope="row">Was it open?</th><td>1</td><td>1</td>' in section
    assert '<th scope="row">Was there internet?</th><td>0</td><td>1</td>' in section
    assert 'href="/coordinate/comments"' in page  # in the navigation too

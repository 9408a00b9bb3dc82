"""The report writer commits concurrent reports together, answers each only after commit, and
never lets one bad report fail its neighbours."""

import sqlalchemy as sa

from nezlam.domain.errors import Conflict, Forbidden, NotFound, Unauthenticated
from nezlam.domain.points import ReportCreate
from nezlam.report_writer import ReportJob, ReportWriter
from nezlam.store import accounts
from nezlam.store.tables import Point, StatusReport


def as_(network, who):
    """Identify as one of the network's people, by their token, as a request would."""
    if who is None:
        return lambda _session: None
    return lambda session: accounts.principal_for_token(session, network.tokens[who])


def job(network, point_id, occupancy, clock, key=None, identify=None):
    report = ReportCreate(status="open", occupancy=occupancy)
    return ReportJob(point_id, report, identify or as_(network, "admin"), key, clock())


def run_as_one_batch(writer, jobs):
    """Queue everything before the writer starts, so it takes them as one batch."""
    futures = []
    for item in jobs:
        writer._queue.put(item)
        futures.append(item.future)
    writer._ensure_started()
    outcomes = []
    for future in futures:
        try:
            outcomes.append(future.result(timeout=20))
        except Exception as exc:  # the test looks at which
            outcomes.append(exc)
    writer.stop()
    return outcomes


def test_a_batch_is_one_transaction_and_refusals_do_not_disturb_it(db, network, clock):
    written = []
    writer = ReportWriter(db, written.extend)
    outcomes = run_as_one_batch(
        writer,
        [
            job(network, network.point_a, 1, clock, key="k1"),
            job(network, "no-such-point", 2, clock),
            job(network, network.point_b, 3, clock, identify=as_(network, "operator_a")),
            job(network, network.point_b, 4, clock),
            job(network, network.point_a, 1, clock, key="k1"),  # a retry inside the same batch
            job(network, network.point_a, 6, clock, key="k2"),
        ],
    )
    assert isinstance(outcomes[1], NotFound) and isinstance(outcomes[2], Forbidden)
    first, replay = outcomes[0], outcomes[4]
    assert first[1] is True and replay[1] is False and replay[0].id == first[0].id
    with db.read() as session:
        stored = session.execute(sa.select(StatusReport.occupancy).order_by(StatusReport.id))
        assert [row[0] for row in stored] == [1, 4, 6]
        seqs = set(session.execute(sa.select(Point.change_seq)).scalars())
        point_a = session.get(Point, network.point_a)
    assert len(seqs) == 1  # both points changed in one transaction, under one change number
    assert point_a.occupancy == 6  # the later report in the batch wins
    assert {p.id for p in written} == {network.point_a, network.point_b}


def test_a_key_reused_for_another_report_is_refused_inside_a_batch(db, network, clock):
    writer = ReportWriter(db, lambda _points: None)
    outcomes = run_as_one_batch(
        writer,
        [
            job(network, network.point_a, 1, clock, key="same"),
            job(network, network.point_a, 2, clock, key="same"),
        ],
    )
    assert outcomes[0][1] is True and isinstance(outcomes[1], Conflict)


def test_a_failing_report_is_found_by_retrying_each_alone(db, network, clock):
    def explode(_session):
        raise RuntimeError("a bug in one request")

    writer = ReportWriter(db, lambda _points: None)
    outcomes = run_as_one_batch(
        writer,
        [
            job(network, network.point_a, 1, clock),
            job(network, network.point_a, 2, clock, identify=explode),
            job(network, network.point_b, 3, clock),
        ],
    )
    assert isinstance(outcomes[1], RuntimeError)
    assert outcomes[0][1] is True and outcomes[2][1] is True
    with db.read() as session:
        stored = session.execute(sa.select(StatusReport.occupancy).order_by(StatusReport.id))
        assert [row[0] for row in stored] == [1, 3]


def test_a_report_from_nobody_is_refused_in_the_batch(db, network, clock):
    writer = ReportWriter(db, lambda _points: None)
    outcomes = run_as_one_batch(
        writer,
        [
            job(network, network.point_a, 1, clock, identify=as_(network, None)),
            job(network, network.point_a, 2, clock),
        ],
    )
    assert isinstance(outcomes[0], Unauthenticated) and outcomes[1][1] is True


def test_a_commit_listener_hears_each_committed_change_until_it_stops(db, network, clock):
    """Database.on_commit: called with the change number once the write has committed (what
    the in-memory index follows), never for a write that rolled back, and not after the stop;
    a listener that fails leaves the write committed and the other listeners called."""
    from nezlam.store.db import next_change_seq

    heard: list[tuple[int, str]] = []

    def status_now(seq):
        with db.read() as session:  # a new session sees it: the change is committed
            status = session.get(Point, network.point_a).status
        heard.append((seq, status))

    def broken(_seq):
        raise RuntimeError("a listener's own bug")

    stop_broken = db.on_commit(broken)
    stop = db.on_commit(status_now)
    with db.write() as session:
        seq = next_change_seq(session)
        session.get(Point, network.point_a).status = "full"
    assert heard == [(seq, "full")]

    try:
        with db.write() as session:
            next_change_seq(session)
            session.get(Point, network.point_a).status = "closed"
            raise ValueError("rolled back")
    except ValueError:
        pass
    with db.write() as session:  # a write without a change number is not one the index shows
        session.execute(sa.select(1))
    assert heard == [(seq, "full")]

    stop()
    stop_broken()
    with db.write() as session:
        next_change_seq(session)
        session.get(Point, network.point_a).status = "open"
    assert heard == [(seq, "full")]

"""One writer per process for status reports, committing concurrent reports together.

In a blackout many operators report at once. Written one transaction each, every report pays a
transaction start, a commit (an fsync) and a turn at the database's write lock, and waiting
writers queue behind each other. Here each request hands its report to one writer thread and
waits; the writer takes every report waiting at that moment, writes them in one transaction —
each with the same checks and statements as alone (`store.reports.add_report`) — commits once,
and only then answers each request. An acknowledged report is therefore as durable as before.

A report the checks refuse (no such point, not allowed, a reused key) is refused before it
writes anything, so it never disturbs the others. If the batch as a whole fails (a constraint
violated by a concurrent process, the database going away), every report in it is retried
alone, so one bad report cannot fail its neighbours.

Devices' pings (`nezlam.device_pings`) are written by the same writer, in the same batches:
any job with a `write(session)` and a future will do (`WriteJob`).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from nezlam.domain.errors import DomainError, Forbidden, Unauthenticated
from nezlam.domain.permissions import PointScope, Principal, can_report
from nezlam.domain.points import ReportCreate
from nezlam.store import reports as report_store
from nezlam.store.actor import Actor
from nezlam.store.db import Database

log = logging.getLogger(__name__)
MAX_BATCH = 128


class WriteJob(Protocol):
    """What the writer writes: `write(session)` gives (what was written, whether a point
    changed, that point), which the job's future gets after commit; `point_id`, a point to
    lock before the batch writes (None: none)."""

    @property
    def point_id(self) -> str | None: ...

    @property
    def future(self) -> Future[tuple[Any, bool, Any]]: ...

    def write(self, session: Session) -> tuple[Any, bool, Any]: ...


@dataclass
class ReportJob:
    """A report to write. `identify(session)` says who sends it (looked up inside the batch's
    transaction: one connection for many reports), or raises if nobody may."""

    point_id: str
    report: ReportCreate
    identify: Callable[[Session], Principal | None]
    idempotency_key: str | None
    now: datetime
    source: str = "api"  # what it came through: "api", or a message channel ("sms")
    future: Future[tuple[Any, bool, Any]] = field(default_factory=Future)

    def write(self, session: Session) -> tuple[Any, bool, Any]:
        principal = self.identify(session)
        if principal is None:
            raise Unauthenticated("this needs an API token or a signed-in session")

        def authorize(point: Any) -> None:
            scope = PointScope(
                id=point.id, region=point.region, organisation_id=point.organisation_id
            )
            if not can_report(principal, scope):
                raise Forbidden("you may not report for this point", field="point_id")

        return report_store.add_report(
            session,
            self.point_id,
            self.report,
            Actor.of(principal),
            idempotency_key=self.idempotency_key,
            source=self.source,
            now=self.now,
            authorize=authorize,
        )


def is_transient(failure: BaseException) -> bool:
    """A deadlock or serialisation failure: the database rolled back; the same write may pass."""
    code = getattr(getattr(failure, "orig", None), "sqlstate", None)
    return isinstance(failure, OperationalError) and code in ("40P01", "40001")


class ReportWriter:
    def __init__(self, db: Database, on_written: Callable[[list[Any]], None]) -> None:
        self.db = db
        self.on_written = on_written  # gets the points changed, after commit
        self._queue: queue.SimpleQueue[WriteJob | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, job: WriteJob) -> Future[tuple[Any, bool, Any]]:
        """Queue a report (or a ping); the future gives (report, created, point) once it is
        committed."""
        self._ensure_started()
        self._queue.put(job)
        return job.future

    def stop(self) -> None:
        with self._lock:
            if self._thread is not None:
                self._queue.put(None)
                self._thread.join(timeout=10)
                self._thread = None

    def _ensure_started(self) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="nezlam-report-writer", daemon=True
                    )
                    self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    self._queue.put(None)  # stop after this batch
                    break
                batch.append(job)
            try:
                self._write(batch)
            except Exception:  # never let the writer die: answer, and go on
                log.exception("report batch failed")

    def _write(self, batch: list[WriteJob], attempt: int = 1) -> None:
        outcomes: list[tuple[WriteJob, Any, BaseException | None]] = []
        locked = [job.point_id for job in batch if job.point_id is not None]
        try:
            with self.db.write() as session:
                report_store.lock_points(session, locked)
                for job in batch:
                    try:
                        outcomes.append((job, job.write(session), None))
                    except DomainError as refused:  # refused before writing anything
                        outcomes.append((job, None, refused))
        except Exception as failure:
            if len(batch) > 1:
                for job in batch:  # find the one at fault: each alone
                    self._write([job])
            elif attempt < 3 and is_transient(failure):
                self._write(batch, attempt + 1)
            else:
                batch[0].future.set_exception(failure)
            return
        written = [result[2] for _job, result, error in outcomes if error is None and result[1]]
        if written:
            try:
                self.on_written(written)
            except Exception:  # the index catches up at its next poll; the answers go out
                log.exception("could not show written reports in this process's index")
        for job, result, error in outcomes:
            if error is None:
                job.future.set_result(result)
            else:
                job.future.set_exception(error)

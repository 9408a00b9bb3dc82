"""Engines, sessions and migrations: the one gateway through which all reaches the database."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import CursorResult, Engine, Result, create_engine, event, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from nezlam.domain.notifications import NotificationRules
from nezlam.store.tables import ChangeCounter, table_of

MIGRATIONS = Path(__file__).parent / "migrations"
NOTIFICATION_RULES = "notification_rules"  # the key in a write session's info
CHANGE_SEQ = "change_seq"  # the key of a write transaction's change number in its session's info

log = logging.getLogger(__name__)


def _prepare_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event decide how transactions start (see below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before we answer, so an acknowledged report survives a crash.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        # Writers take the write lock up front, so two writers never deadlock upgrading a read lock.
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 10}, **kwargs
        )
        _prepare_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


class Database:
    """Owns the engines; hands out read sessions and write transactions.

    With a `replica_url` (a PostgreSQL read replica), `replica()` sessions read from it: the index
    poller and anonymous reads use those. Everything that decides who may do what (tokens,
    roles) and every write uses the primary, so a revoked token stops at once."""

    def __init__(
        self,
        url: str,
        engine: Engine | None = None,
        replica_url: str | None = None,
        notification_rules: NotificationRules | None = None,
    ) -> None:
        self.url = url
        # What this database's report writes notify by (from Settings; None: the defaults).
        self.notification_rules = notification_rules
        self.engine = engine or make_engine(url)
        self.replica_engine = make_engine(replica_url) if replica_url else self.engine
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        write_bind = (
            self.engine.execution_options(sqlite_begin="IMMEDIATE")
            if self.is_sqlite
            else self.engine
        )
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(write_bind, expire_on_commit=False)
        self._replica = sessionmaker(self.replica_engine, expire_on_commit=False)
        self._commit_listeners: list[Callable[[int], None]] = []
        # On the write sessions' factory: it hears this database's writes only.
        event.listen(self._write, "after_commit", self._committed)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read() as session:
            yield session

    @contextmanager
    def replica(self) -> Iterator[Session]:
        """A read session that may lag the primary by the replication delay."""
        with self._replica() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction; commits on success, rolls back on any exception."""
        with self._write() as session, session.begin():
            if self.notification_rules is not None:
                session.info[NOTIFICATION_RULES] = self.notification_rules
            yield session
            # (session.info, which holds the transaction's change number, dies with the session)

    def on_commit(self, listener: Callable[[int], None]) -> Callable[[], None]:
        """Call `listener(change_seq)` after every write transaction of this process that took a
        change number (every write of a point does), once it has committed. Returns the function
        that stops the calls. A listener that fails is logged: the write stays committed."""
        self._commit_listeners.append(listener)
        return lambda: self._commit_listeners.remove(listener)

    def _committed(self, session: Session) -> None:
        seq = session.info.get(CHANGE_SEQ)
        if seq is None:  # nothing with a change number was written
            return
        for listener in list(self._commit_listeners):
            try:
                listener(int(seq))
            except Exception:
                log.exception("after the commit of change %s, %r failed", seq, listener)

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
        if self.replica_engine is not self.engine:
            self.replica_engine.dispose()


def next_change_seq(session: Session) -> int:
    """The change number of this transaction. The first call takes the next number; later calls
    in the same transaction share it (its rows become visible together). Take it as late as
    possible: the counter row stays locked until commit, so numbers become visible in order."""
    taken = session.info.get(CHANGE_SEQ)
    if taken is not None:
        return int(taken)
    taken = session.info[CHANGE_SEQ] = int(session.execute(BUMP_COUNTER).scalar_one())
    return taken


# Built once: every write runs it, and building a statement costs more than running it here.
COUNTER = table_of(ChangeCounter)
BUMP_COUNTER = (
    update(COUNTER)
    .where(COUNTER.c.id == 1)
    .values(value=COUNTER.c.value + 1)
    .returning(COUNTER.c.value)
)


def rows_matched(result: Result[*tuple[Any, ...]]) -> int:
    """How many rows an insert, update or delete matched. Session.execute is typed as returning
    a Result; for those statements it is a CursorResult, which has the count."""
    if not isinstance(result, CursorResult):
        raise TypeError("rows_matched counts the rows of an insert, update or delete")
    return result.rowcount


def current_change_seq(session: Session) -> int:
    return int(
        session.execute(select(ChangeCounter.value).where(ChangeCounter.id == 1)).scalar_one()
    )


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head", engine: Engine | None = None) -> None:
    """Create or migrate the schema to `revision`."""
    from alembic import command

    config = alembic_config(url)
    if engine is not None:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    else:
        command.upgrade(config, revision)


def schema_revision(engine: Engine) -> tuple[str | None, str]:
    """(the database's migration revision or None, the code's latest revision)."""
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    head = ScriptDirectory.from_config(alembic_config(str(engine.url))).get_current_head()
    return current, str(head)

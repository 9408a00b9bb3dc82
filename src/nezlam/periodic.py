"""A job a worker runs every few seconds on a thread of its own (the device sweeper, the outage
warner): started and stopped by the app's lifespan, one run at a time, and a run that fails
(the database restarting, say) logged and tried again at the next turn."""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)


class Periodic:
    """Calls `run_once` every `every_seconds` between `start` and `stop`."""

    name = "nezlam-periodic"  # the thread's name

    def __init__(self, every_seconds: float) -> None:
        self.every_seconds = every_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> object:
        raise NotImplementedError

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.every_seconds):
            try:
                self.run_once()
            except Exception:  # the database may be restarting: again next time
                log.exception("%s: a run failed", self.name)

"""Run the `nezlam` command with a watch on Python's cyclic garbage collector: every collection of
the older generations (1 and 2) is logged with its pause, one line each:
`<unix time> <generation> <pause ms>`.

    .venv/bin/python benchmarks/gc_watch.py /tmp/gc.log serve --port 8000 --workers 1

The same as `nezlam serve …` otherwise (one worker runs in this process). Used by
`http_nearest.py --watch-gc` to tell collector pauses from other causes of tail latency.
"""

from __future__ import annotations

import gc
import sys
import time
from typing import Any


def watch(log_path: str) -> None:
    log = open(log_path, "a", buffering=1)  # noqa: SIM115 — open for the life of the process
    started = [0.0]

    def on_collect(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        elif info["generation"] >= 1:
            pause_ms = (time.perf_counter() - started[0]) * 1e3
            log.write(f"{time.time():.3f} {info['generation']} {pause_ms:.2f}\n")

    gc.callbacks.append(on_collect)


def main() -> None:
    watch(sys.argv.pop(1))
    from nezlam.cli import app

    sys.argv[0] = "nezlam"
    app()


if __name__ == "__main__":
    main()

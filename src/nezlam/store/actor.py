"""Who is writing: a signed-in user or token, the command line, an import, or the demo loader."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    label: str  # "user:olena", "token:7", "cli", "import", "demo"
    user_id: int | None = None
    token_id: int | None = None


CLI = Actor("cli")
DEMO = Actor("demo")

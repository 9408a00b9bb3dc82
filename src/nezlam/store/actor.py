"""Who is writing: a signed-in user or token, the command line, an import, or the demo loader."""

from __future__ import annotations

from dataclasses import dataclass

from nezlam.domain.permissions import Principal


@dataclass(frozen=True)
class Actor:
    label: str  # "user:olena", "token:7", "cli", "import", "demo"
    user_id: int | None = None
    token_id: int | None = None

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        return cls(principal.label, user_id=principal.user_id, token_id=principal.token_id)


CLI = Actor("cli")
DEMO = Actor("demo")
VISITORS = Actor("visitors")  # anonymous visitor signals, counted together

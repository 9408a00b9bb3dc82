"""Who signs in to the demo: an operator of the Kyiv yurt, a coordinator of Kyiv, an admin and
a donor, with passwords printed by `nezlam demo` (for trying out only)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from nezlam.demo.network import KYIV
from nezlam.domain.points import RoleGrantCreate, UserCreate
from nezlam.store import accounts
from nezlam.store.actor import DEMO


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str  # a role, or "donor": a member of the organisation `scope`, with no role
    scope: str


DEMO_ACCOUNTS = [
    DemoAccount("operator", "operator-demo-2022", "operator", "kyiv-shevchenko-park-yurt"),
    DemoAccount("coordinator", "coordinator-demo-2022", "coordinator", KYIV),
    DemoAccount("admin", "admin-demo-2022", "admin", ""),
    DemoAccount("donor", "donor-demo-2022", "donor", "volunteers-kyiv"),
]
# The organisation whose application waits for the Kyiv coordinator (store/onboarding.py).
DEMO_APPLICANT = ("dala-yurt", "dala-yurt-demo-2022")


def create_accounts(session: Session, demo_accounts: Iterable[DemoAccount]) -> None:
    """Each account as a user, with its role where it has one."""
    for account in demo_accounts:
        donor = account.role == "donor"
        user = accounts.create_user(
            session,
            UserCreate(
                username=account.username,
                password=account.password,
                organisation=account.scope if donor else None,
            ),
            DEMO,
        )
        if donor:  # pledges for their organisation on the needs board; no role needed
            continue
        grant = RoleGrantCreate(
            role=account.role,
            region=account.scope if account.role == "coordinator" else None,
            point_id=account.scope if account.role == "operator" else None,
        )
        accounts.grant_role(session, user, grant, DEMO)

"""`nezlam demo`: the demo network (the Kazakh yurts and a Kyiv-scale network) and accounts."""

from __future__ import annotations

import typer

from nezlam.commands.common import console, database, progress_bar
from nezlam.store.points import count_points


def demo(
    if_empty: bool = typer.Option(False, "--if-empty", help="do nothing if points exist"),
    count: int = typer.Option(1300, min=0, help="how many generated Kyiv points"),
) -> None:
    """Load the demo network (the Kazakh yurts and a Kyiv-scale network) and demo accounts."""
    # The generator needs numpy, and the accounts argon2 (a 64 MB hash when its module
    # loads): both only when the demo is loaded, not for every `nezlam --help`.
    from nezlam import demo as demo_network

    database_ = database()
    with database_.read() as session:
        existing = count_points(session)
    if existing:
        if if_empty:
            console.print(f"{existing} points already in the database; demo not loaded")
            print_accounts()
            return
        console.print("[red]the database is not empty[/red]; demo data goes into an empty one")
        raise typer.Exit(1)
    with progress_bar() as bar, database_.write() as session:
        task = bar.add_task("demo points", total=count)
        totals = demo_network.load(
            session, count=count, progress=lambda done: bar.update(task, completed=done)
        )
    console.print(
        f"loaded {totals['points']} demo points, {totals['organisations']} organisations, "
        f"{totals['needs']} needs; {totals['awaiting_approval']} point awaits a coordinator's "
        "approval"
    )
    print_accounts()


def print_accounts() -> None:
    from nezlam.demo import DEMO_ACCOUNTS, DEMO_APPLICANT  # numpy and argon2, as above

    console.print("demo accounts (for trying out only; sign in at /login):")
    for account in DEMO_ACCOUNTS:
        scope = f" of {account.scope}" if account.scope else ""
        console.print(f"  {account.role}{scope}: {account.username} / {account.password}")
    console.print(f"  organisation awaiting approval: {DEMO_APPLICANT[0]} / {DEMO_APPLICANT[1]}")

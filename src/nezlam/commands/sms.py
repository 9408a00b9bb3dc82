"""`nezlam sms`: operators' phone numbers linked to their accounts, and an SMS answered here
without a gateway (to try what residents get)."""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from nezlam.commands.common import console, database, fail, settings
from nezlam.domain.errors import DomainError
from nezlam.store import channel_links
from nezlam.store.actor import CLI

app = typer.Typer(help="SMS: operators' numbers, and answers to try.", no_args_is_help=True)


@app.command("link")
def link(username: str, phone: str) -> None:
    """Link PHONE to USERNAME: an OPEN, FULL, CLOSED or OK texted from it is their report."""
    try:
        with database().write() as session:
            kept = channel_links.link(session, username, "sms", phone, CLI, datetime.now(UTC))
    except DomainError as exc:
        raise fail(exc) from exc
    console.print(f"{kept} linked to {username}")


@app.command("unlink")
def unlink(phone: str) -> None:
    """Unlink PHONE from whoever it is linked to."""
    try:
        with database().write() as session:
            channel_links.unlink(session, "sms", phone, CLI, datetime.now(UTC))
    except DomainError as exc:
        raise fail(exc) from exc
    console.print(f"{phone} unlinked")


@app.command("ask")
def ask(
    text: str,
    sender: str = typer.Option("+380000000000", "--from", help="the number it comes from"),
) -> None:
    """Print the answer an SMS of TEXT gets ("ТЕПЛО Хрещатик 22"), as a gateway would send it;
    from a linked number, a status word updates the point as it would by SMS."""
    from nezlam.channels import sms_words
    from nezlam.channels.answering import Directory
    from nezlam.channels.conversation import Conversation
    from nezlam.channels.sms_text import segments
    from nezlam.geo.spatial_index import SpatialIndex
    from nezlam.geo.walking import load_walking
    from nezlam.index_sync import IndexSync

    configured = settings()
    db = database()
    index = SpatialIndex(configured.stale_after, configured.no_response_after)
    IndexSync(db, index).load_all()
    walking = load_walking(configured.streets_file, index, configured.walking_snap_m)
    if walking is not None:
        walking.on_network(index.snapshot)
    directory = Directory(index, lambda: walking, db, lambda: datetime.now(UTC))
    said = Conversation("sms", directory, sms_words).answer(sender, text)
    print(said.text)
    console.print(f"[dim]{segments(said.text)} SMS, {said.lang}[/dim]")

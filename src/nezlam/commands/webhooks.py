"""`nezlam webhook`: receivers told, with a signature, about notifications (docs/webhooks.md)."""

from __future__ import annotations

import typer

from nezlam.channels import built_in
from nezlam.channels.dispatcher import deliver_due
from nezlam.commands.common import console, database, fail, invalid_input, settings
from nezlam.domain.errors import DomainError
from nezlam.domain.notifications import WebhookCreate
from nezlam.store import notifications
from nezlam.store.actor import CLI
from nezlam.store.tables import utcnow

app = typer.Typer(help="Webhooks told about notifications.", no_args_is_help=True)


@app.command("add")
def add(
    url: str,
    secret: str = typer.Option(
        ..., envvar="NEZLAM_WEBHOOK_SECRET", help="shared with the receiver; at least 16 characters"
    ),
    region: str = typer.Option(None, help="only this region's points [every region]"),
    kinds: str = typer.Option(
        None,
        help="comma-separated: full,closed,no_power,low_fuel,outage_soon,emergency,off_stop,"
        "fuel_reserve [all]",
    ),
) -> None:
    """Send signed notifications to URL (see docs/webhooks.md)."""
    try:
        wanted = [kind.strip() for kind in kinds.split(",")] if kinds is not None else None
        data = WebhookCreate(url=url, secret=secret, region=region, kinds=wanted)
        with database().write() as session:
            row = notifications.add_webhook(session, data, CLI)
    except ValueError as exc:
        raise invalid_input(exc) from exc
    console.print(f"webhook {row.id} added: {row.url}")


@app.command("list")
def list_() -> None:
    """The webhooks, without their secrets."""
    with database().read() as session:
        for row in notifications.webhooks(session):
            kinds = ",".join(row.kinds) if row.kinds else "all kinds"
            state = "active" if row.active else "disabled"
            print(f"{row.id}\t{state}\t{row.region or 'every region'}\t{kinds}\t{row.url}")


@app.command("disable")
def disable(webhook_id: int) -> None:
    """Stop queueing notifications for a webhook (queued ones are still sent)."""
    try:
        with database().write() as session:
            notifications.disable_webhook(session, webhook_id, CLI)
    except DomainError as exc:
        raise fail(exc) from exc
    console.print(f"webhook {webhook_id} disabled")


@app.command("deliver")
def deliver() -> None:
    """Send what is due on every channel, once: webhooks, and SMS answers when a gateway is
    configured (for cron when NEZLAM_WEBHOOK_DISPATCH=false)."""
    done = deliver_due(database(), utcnow(), built_in(settings()))
    console.print(
        f"delivered {len(done.delivered)}, to retry {len(done.retrying)}, failed {len(done.failed)}"
    )

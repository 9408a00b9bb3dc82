"""The `nezlam` command: one module per group of commands, assembled into one Typer app here.

Each module drives the library and nothing else drives it: the library never imports a
command, and no command module imports another (what they share is in `common`). A module
that needs numpy, SciPy, HiGHS, matplotlib or pyosmium imports it inside the command that
uses it, so that `nezlam --help` stays quick and small.
"""

from __future__ import annotations

import typer

from nezlam.commands import (
    accounts,
    bot,
    coverage,
    db,
    demo,
    devices,
    emergency,
    fuel,
    outages,
    places,
    points,
    probes,
    serve,
    siting,
    sms,
    stops,
    streets,
    webhooks,
)
from nezlam.commands.common import tidy_help

app = typer.Typer(help="Nezlam: run a network of invincibility points.", no_args_is_help=True)
# Single commands first, in the order a newcomer meets them; then the groups.
app.command("serve")(serve.serve)
app.command("demo")(demo.demo)
app.command("import")(points.import_)
app.command("export")(points.export)
app.command("poster")(points.poster)
# `nezlam coverage --minutes 5,10`, `nezlam site --new 10`: one command each, not groups.
app.command("coverage")(coverage.coverage)
app.command("site")(siting.site)
app.add_typer(db.app, name="db")
app.add_typer(accounts.user_app, name="user")
app.add_typer(accounts.role_app, name="role")
app.add_typer(accounts.token_app, name="token")
app.add_typer(devices.app, name="device")
app.add_typer(probes.app, name="probe")
app.add_typer(stops.app, name="stop")
app.add_typer(fuel.app, name="fuel")
app.add_typer(webhooks.app, name="webhook")
app.add_typer(places.app, name="places")
app.add_typer(streets.app, name="streets")
app.add_typer(sms.app, name="sms")
app.add_typer(bot.app, name="bot")
outages.app.add_typer(emergency.app, name="emergency")  # `nezlam outages emergency start`
app.add_typer(outages.app, name="outages")
tidy_help(app)

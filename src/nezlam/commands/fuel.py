"""`nezlam fuel`: the points' generators, fuel deliveries, the runways, and the warning before a
point reaches its reserve (issue 13)."""

from __future__ import annotations

import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.table import Table

from nezlam.commands.common import console, database, fail, invalid_input, settings
from nezlam.domain.errors import DomainError
from nezlam.store.actor import CLI
from nezlam.store.tables import utcnow

app = typer.Typer(
    help="Generators, fuel deliveries and how long each point's fuel lasts.",
    no_args_is_help=True,
)


@app.command("generator")
def generator(
    point: str = typer.Argument(..., help="the point's id"),
    rated_kw: float = typer.Option(..., "--kw", help="rated power in kW, from its plate"),
    fuel: str = typer.Option("diesel", help="diesel, petrol or gas"),
    tank: float = typer.Option(None, help="litres its tank holds"),
    litres_per_hour: float = typer.Option(
        None, "--lph", help="litres an hour at the usual load, as measured (else estimated)"
    ),
    backup: bool = typer.Option(False, help="a backup set: starts only when the main one fails"),
    label: str = typer.Option(None, help="how people at the point call it"),
) -> None:
    """Add a generator to a point: its consumption gives the point's runway."""
    from nezlam.domain.fuel import GeneratorCreate
    from nezlam.store import generators

    try:
        data = GeneratorCreate(label=label, rated_kw=rated_kw, fuel=fuel, tank_litres=tank,
                               litres_per_hour=litres_per_hour, backup=backup)  # fmt: skip
    except ValidationError as exc:
        raise invalid_input(exc) from exc
    try:
        with database().write() as session:
            row = generators.add_generator(session, point, data, CLI, utcnow())
            uses = generators.as_generator(row).consumption
    except DomainError as exc:
        raise fail(exc) from exc
    console.print(escape(f"generator {row.id} of {point}: {uses:g} l/h at the usual load"))


@app.command("generators")
def generators_(point: str = typer.Argument(..., help="the point's id")) -> None:
    """A point's generators: id, kW, fuel, tank, litres an hour (measured or estimated)."""
    from nezlam.store import generators

    with database().read() as session:
        rows = generators.generators_of(session, point)
    for row in rows:
        uses = generators.as_generator(row).consumption
        said = "measured" if row.litres_per_hour is not None else "estimated"
        tank = f"{row.tank_litres:g} l" if row.tank_litres is not None else "tank ?"
        role = "backup" if row.backup else "main"
        print(f"{row.id}\t{row.rated_kw:g} kW\t{row.fuel}\t{tank}\t{uses:g} l/h {said}\t{role}")


@app.command("remove-generator")
def remove_generator(
    generator_id: int = typer.Argument(..., help="from `nezlam fuel generators`"),
) -> None:
    """Remove a generator from its point."""
    from nezlam.store import generators

    try:
        with database().write() as session:
            point = generators.remove_generator(session, generator_id, CLI, utcnow())
    except DomainError as exc:
        raise fail(exc) from exc
    typer.echo(f"generator {generator_id} of {point} removed")


@app.command("deliver")
def deliver(
    point: str = typer.Argument(..., help="the point's id"),
    litres: float = typer.Option(..., help="litres put in its tanks"),
    by: str = typer.Option(None, help="who brought it: a driver, a truck, a donor"),
) -> None:
    """Record fuel delivered to a point: its new fuel reading is what was left plus this."""
    from nezlam.domain.fuel import DeliveryCreate
    from nezlam.store import generators

    try:
        data = DeliveryCreate(litres=litres, delivered_by=by)
    except ValidationError as exc:
        raise invalid_input(exc) from exc
    try:
        with database().write() as session:
            done = generators.record_delivery(session, point, data, CLI, utcnow())
    except DomainError as exc:
        raise fail(exc) from exc
    before = "?" if done.litres_before is None else f"{done.litres_before:g}"
    console.print(escape(f"{point}: {before} l + {litres:g} l → {done.litres_after:g} l"))


@app.command("runway")
def runway(
    within: float = typer.Option(None, help="only points whose fuel lasts this many hours or less"),
    region: str = typer.Option(None, help="only this region"),
) -> None:
    """Every point whose runway can be told, the shortest first: hours and litres left, and
    when it reaches its reserve if it runs on its generator now."""
    from nezlam.domain.fuel_runway import runs_out_within
    from nezlam.store import dashboard

    config, now = settings(), utcnow()
    with database().read() as session:
        regions = [region] if region else dashboard.all_regions(session)
        rows = dashboard.current_rows(session, regions, now=now, stale_after=config.stale_after,
                                      no_response_after=config.no_response_after,
                                      fuel_reserve=config.fuel_reserve)  # fmt: skip
    told = [r for r in rows if r.runway is not None]
    if within is not None:
        told = [r for r in told if runs_out_within(r.runway, within)]
    table = Table("point", "hours left", "litres", "on generator", "reserve at (UTC)")
    for row in sorted(told, key=lambda r: r.runway.hours_left if r.runway else 0.0):
        found = row.runway
        assert found is not None
        reserve = found.reserve_at(now)
        table.add_row(escape(row.id), f"{found.hours_left:.1f}", f"{found.litres_left:g}",
                      "yes" if found.burning else "no",
                      reserve.strftime("%Y-%m-%d %H:%M") if reserve else "—")  # fmt: skip
    console.print(table)


@app.command("warn")
def warn() -> None:
    """Warn once of each point on its generator that reaches its reserve within
    NEZLAM_FUEL_WARN_WITHIN (every server does it every two minutes; this is for cron)."""
    from nezlam.fuel_warner import FuelWarner

    config = settings()
    sent = FuelWarner(database(), utcnow, config.fuel_reserve, config.fuel_warn_within).warn()
    for warning in sent:
        typer.echo(f"{warning.point_id}\t{warning.runway.hours_to_reserve:.1f} h to its reserve")
    typer.echo(f"{len(sent)} warned")

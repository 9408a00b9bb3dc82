"""`nezlam user`, `nezlam role`, `nezlam token`: the people who run the network, and devices.

`nezlam.store.accounts` is imported inside each command: it hashes a dummy password with
argon2 when it loads (64 MB, a fifth of a second), which `nezlam --help` does not need."""

from __future__ import annotations

import typer

from nezlam.commands.common import console, database, fail, invalid_input
from nezlam.domain.errors import DomainError
from nezlam.domain.points import RoleGrantCreate, UserCreate
from nezlam.store.actor import CLI

user_app = typer.Typer(help="User accounts.", no_args_is_help=True)
role_app = typer.Typer(help="Roles of users.", no_args_is_help=True)
token_app = typer.Typer(
    help="API tokens for integrations and operator devices.", no_args_is_help=True
)


@user_app.command("add")
def user_add(
    username: str,
    password: str = typer.Option(
        ...,
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        envvar="NEZLAM_NEW_PASSWORD",
        help="asked for when not given (or from NEZLAM_NEW_PASSWORD); never in the shell history",
    ),
    display_name: str = typer.Option(None, help="the name others see, e.g. Olena Kovalenko"),
    organisation: str = typer.Option(None, help="organisation slug"),
) -> None:
    """Create a user."""
    from nezlam.store import accounts  # argon2: see the module's docstring

    try:
        data = UserCreate(
            username=username,
            password=password,
            display_name=display_name,
            organisation=organisation,
        )
        with database().write() as session:
            user = accounts.create_user(session, data, CLI)
            console.print(f"created user {user.username} (id {user.id})")
    except DomainError as exc:
        raise fail(exc) from exc
    except ValueError as exc:
        raise invalid_input(exc) from exc


@role_app.command("grant")
def role_grant(
    username: str,
    role: str = typer.Argument(..., help="admin, coordinator or operator"),
    region: str = typer.Option(None, help="for a coordinator"),
    point: str = typer.Option(None, help="for an operator of one point"),
    organisation: str = typer.Option(None, help="for an operator of an organisation's points"),
) -> None:
    """Give a user a role."""
    from nezlam.store import accounts  # argon2: see the module's docstring

    try:
        data = RoleGrantCreate(role=role, region=region, point_id=point, organisation=organisation)
        with database().write() as session:
            grant = accounts.grant_role(session, accounts.get_user(session, username), data, CLI)
            console.print(f"granted {role} to {username} (grant id {grant.id})")
    except DomainError as exc:
        raise fail(exc) from exc
    except ValueError as exc:
        raise invalid_input(exc) from exc


@token_app.command("create")
def token_create(
    username: str, name: str = typer.Option(..., help="device or integration")
) -> None:
    """Create an API token; it is printed once and never stored."""
    from nezlam.store import accounts  # argon2: see the module's docstring

    try:
        with database().write() as session:
            token, row = accounts.create_token(
                session, accounts.get_user(session, username), name, CLI
            )
    except DomainError as exc:
        raise fail(exc) from exc
    console.print(f"token {row.id} for {username} ({name}); copy it now, it is not shown again:")
    print(token)


@token_app.command("revoke")
def token_revoke(token_id: int) -> None:
    """Revoke a token by its id."""
    from nezlam.store import accounts  # argon2: see the module's docstring

    try:
        with database().write() as session:
            accounts.revoke_token(session, token_id, CLI)
    except DomainError as exc:
        raise fail(exc) from exc
    console.print(f"token {token_id} revoked")

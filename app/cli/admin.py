"""`flask faces create-operator`, `create-api-key`, `revoke-api-key`, `list-api-keys`."""
from __future__ import annotations

import click

from ..auth.accounts import api_keys, create_key, revoke_key, save_operator
from ..extensions import db
from ..errors import Problem
from ..models import ROLES
from . import bp


def _commit_or_explain(action):
    """Run `action`, commit; a Problem becomes the command's error message."""
    try:
        result = action()
    except Problem as p:
        db.session.rollback()
        raise click.ClickException(p.detail) from None
    db.session.commit()
    return result


@bp.cli.command("create-operator")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), default="admin", show_default=True,
              help="admin: everything; viewer: live video, arrivals, identify.")
@click.password_option(help="The operator's password (asked for when not given).")
def create_operator(username: str, role: str, password: str):
    """Create a web operator (or set a new password and role for an existing one)."""
    _commit_or_explain(lambda: save_operator(username, password, role))
    click.echo(f"operator {username!r} ready ({role})")


@bp.cli.command("create-api-key")
@click.argument("name")
def create_api_key(name: str):
    """Create an API key called NAME and print it (it is shown only this once)."""
    row, key = _commit_or_explain(lambda: create_key(name))
    click.echo(key)
    click.echo(f"key {row.id} ({row.prefix}...) for {name!r}; send it as "
               "'Authorization: Bearer <key>'", err=True)


@bp.cli.command("revoke-api-key")
@click.argument("key_id", type=int)
def revoke_api_key(key_id: int):
    """Revoke the API key with id KEY_ID (see list-api-keys)."""
    row = _commit_or_explain(lambda: revoke_key(key_id))
    click.echo(f"key {key_id} ({row.prefix}...) revoked")


@bp.cli.command("list-api-keys")
def list_api_keys():
    """List API keys (id, prefix, name, state)."""
    for row in api_keys():
        state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
        click.echo(f"{row.id}\t{row.prefix}...\t{row.name}\t{state}")

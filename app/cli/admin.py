"""`flask faces create-operator`, `create-api-key`, `revoke-api-key`, `list-api-keys`."""
from __future__ import annotations

import click
from sqlalchemy import select

from ..extensions import db
from ..models import ApiKey, Operator, utcnow
from . import bp


@bp.cli.command("create-operator")
@click.argument("username")
@click.password_option(help="The operator's password (asked for when not given).")
def create_operator(username: str, password: str):
    """Create a web operator (or set a new password for an existing one)."""
    op = db.session.scalar(select(Operator).where(Operator.username == username))
    if op is None:
        op = Operator(username=username)
        db.session.add(op)
    op.set_password(password)
    db.session.commit()
    click.echo(f"operator {username!r} ready")


@bp.cli.command("create-api-key")
@click.argument("name")
def create_api_key(name: str):
    """Create an API key called NAME and print it (it is shown only this once)."""
    row, key = ApiKey.create(name)
    db.session.commit()
    click.echo(key)
    click.echo(f"key {row.id} ({row.prefix}...) for {name!r}; send it as "
               "'Authorization: Bearer <key>'", err=True)


@bp.cli.command("revoke-api-key")
@click.argument("key_id", type=int)
def revoke_api_key(key_id: int):
    """Revoke the API key with id KEY_ID (see list-api-keys)."""
    row = db.session.get(ApiKey, key_id)
    if row is None:
        raise click.ClickException(f"no API key with id {key_id}")
    row.revoked_at = utcnow()
    db.session.commit()
    click.echo(f"key {key_id} ({row.prefix}...) revoked")


@bp.cli.command("list-api-keys")
def list_api_keys():
    """List API keys (id, prefix, name, state)."""
    for row in db.session.scalars(select(ApiKey).order_by(ApiKey.id)):
        state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
        click.echo(f"{row.id}\t{row.prefix}...\t{row.name}\t{state}")

"""Access (admins): operators and their roles, API keys (shown once, revoked after a
confirmation), and the audit log of who did what."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from ..auth import admin_required
from ..auth.accounts import api_keys, create_key, get_key, operators, revoke_key, save_operator
from ..extensions import db
from ..errors import Problem
from ..models import AuditEntry
from . import bp
from .forms import ConfirmDeleteForm, KeyForm, OperatorForm

AUDIT_PAGE = 100


def _page(operator_form=None, key_form=None, new_key=None, status=200):
    return render_template("access.html", operators=operators(), keys=api_keys(), new_key=new_key,
                           operator_form=operator_form or OperatorForm(),
                           key_form=key_form or KeyForm()), status


@bp.get("/access")
@admin_required
def access():
    """Operators and API keys."""
    return _page()


@bp.post("/access/operators")
@admin_required
def add_operator():
    """Add an operator (or give one a new password and role)."""
    form = OperatorForm()
    if form.validate_on_submit():
        try:
            op = save_operator(form.username.data, form.password.data, form.role.data)
        except Problem as e:
            form.username.errors.append(e.detail)
        else:
            db.session.commit()
            flash(f"{op.username} can now sign in as {op.role}.")
            return redirect(url_for("web.access"))
    return _page(operator_form=form, status=400)


@bp.post("/access/keys")
@admin_required
def add_key():
    """Create an API key; the page shows it once (it is stored hashed)."""
    form = KeyForm()
    if form.validate_on_submit():
        try:
            row, key = create_key(form.name.data)
        except Problem as e:
            form.name.errors.append(e.detail)
        else:
            db.session.commit()
            return _page(new_key=(row, key))
    return _page(key_form=form, status=400)


@bp.route("/access/keys/<int:key_id>/revoke", methods=["GET", "POST"])
@admin_required
def revoke(key_id: int):
    """Ask, then revoke an API key."""
    row, form = get_key(key_id), ConfirmDeleteForm()
    if form.validate_on_submit():
        revoke_key(key_id)
        db.session.commit()
        flash(f"The key {row.name} ({row.prefix}...) is revoked; programs using it get 401.")
        return redirect(url_for("web.access"))
    return render_template("confirm.html", title=f"Revoke the key {row.name}?", form=form,
                           text=f"Programs that send {row.prefix}... will be refused from now on. "
                                "This cannot be undone; create a new key if needed.",
                           yes="Yes, revoke it", back=url_for("web.access"))


@bp.get("/audit")
@admin_required
def audit():
    """Who did what, newest first, 100 a page (?page=2, ?action=person.delete)."""
    page = max(request.args.get("page", 1, type=int), 1)
    query = select(AuditEntry)
    if action := request.args.get("action", ""):
        query = query.where(AuditEntry.action == action)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(query.order_by(AuditEntry.id.desc()).limit(AUDIT_PAGE)
                              .offset((page - 1) * AUDIT_PAGE)).all()
    return render_template("audit.html", rows=rows, page=page, action=action,
                           pages=max(1, -(-total // AUDIT_PAGE)))

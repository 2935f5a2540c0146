"""Operators after they were added (admins): another role, a new password, removal after a
confirmation; and for everyone, their own password (the current one asked first). The
audit log records each (app/auth/audit.py); the last admin is never removed or demoted."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required, login_user

from ..auth import admin_required
from ..auth.accounts import change_own_password, get_operator, remove_operator, reset_password, set_role
from ..extensions import db
from ..errors import Problem
from . import bp
from .forms import ConfirmDeleteForm, OwnPasswordForm, PasswordForm, RoleForm


def _operator_page(op, role_form=None, password_form=None, status=200):
    return render_template("operator.html", op=op, role_form=role_form or RoleForm(role=op.role),
                           password_form=password_form or PasswordForm()), status


@bp.get("/access/operators/<int:operator_id>")
@admin_required
def operator_page(operator_id: int):
    """One operator: their role, a new password, remove."""
    return _operator_page(get_operator(operator_id))


@bp.post("/access/operators/<int:operator_id>/role")
@admin_required
def operator_role(operator_id: int):
    """Give an operator another role."""
    op, form = get_operator(operator_id), RoleForm()
    if form.validate_on_submit():
        try:
            set_role(operator_id, form.role.data)
        except Problem as e:
            db.session.rollback()
            form.role.errors.append(e.detail)
        else:
            db.session.commit()
            flash(f"{op.username} is {op.role} now.")
            return redirect(url_for("web.access" if current_user.is_admin else "web.home"))
    return _operator_page(op, role_form=form, status=400)


@bp.post("/access/operators/<int:operator_id>/password")
@admin_required
def operator_password(operator_id: int):
    """Give an operator a new password (tell it to them; they can change it themselves)."""
    op, form = get_operator(operator_id), PasswordForm()
    if form.validate_on_submit():
        reset_password(operator_id, form.password.data)
        db.session.commit()
        if op.id == current_user.id:
            login_user(op)  # stay signed in here with the new password
        flash(f"{op.username} has a new password; give it to them.")
        return redirect(url_for("web.access"))
    return _operator_page(op, password_form=form, status=400)


@bp.route("/access/operators/<int:operator_id>/remove", methods=["GET", "POST"])
@admin_required
def operator_remove(operator_id: int):
    """Ask, then remove an operator (never the last admin)."""
    op, form = get_operator(operator_id), ConfirmDeleteForm()
    if form.validate_on_submit():
        try:
            remove_operator(operator_id)
        except Problem as e:
            db.session.rollback()
            flash(e.detail)
            return redirect(url_for("web.operator_page", operator_id=operator_id))
        db.session.commit()
        flash(f"{op.username} was removed; they cannot sign in any more.")
        return redirect(url_for("web.access"))
    return render_template("confirm.html", title=f"Remove the operator {op.username}?", form=form,
                           text=f"{op.username} ({op.role}) will be signed out and cannot sign in again. "
                                "Their past actions stay in the audit log.",
                           yes="Yes, remove them", back=url_for("web.operator_page", operator_id=operator_id))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def own_password():
    """Change my own password (the current one first)."""
    form = OwnPasswordForm()
    if form.validate_on_submit():
        try:
            change_own_password(current_user, form.current.data, form.password.data)
        except Problem as e:
            form.current.errors.append(e.detail)
        else:
            db.session.commit()
            login_user(current_user._get_current_object())  # this browser stays signed in
            flash("Your password is changed.")
            return redirect(url_for("web.home"))
    return render_template("own_password.html", form=form), 400 if form.errors else 200

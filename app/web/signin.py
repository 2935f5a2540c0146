"""Sign in, sign out and the first operator."""
import math
from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from limits import parse as parse_limit
from sqlalchemy import delete, select

from ..extensions import db
from ..http.security import same_site_path
from ..models import LoginFailure, Operator, utcnow
from . import bp
from .forms import LoginForm, SetupForm


def _next_url() -> str:
    """Where to go after signing in: `next` when it is a path on this site, else home."""
    return same_site_path(request.args.get("next"), url_for("web.home"))


@bp.route("/setup", methods=["GET", "POST"])
def setup():
    """Create the first operator (only while there is none)."""
    if db.session.scalar(select(Operator.id).limit(1)) is not None:
        return redirect(url_for("web.login"))
    form = SetupForm()
    if form.validate_on_submit():
        op = Operator(username=form.username.data.strip())
        op.set_password(form.password.data)
        db.session.add(op)
        db.session.commit()
        login_user(op)
        flash(f"Welcome, {op.username}. Enrol the first person to get started.")
        return redirect(url_for("web.home"))
    return render_template("setup.html", form=form)


def _seconds_to_wait(address: str) -> int:
    """0 while `address` has fewer failed sign-ins than LOGIN_RATE_LIMIT allows in its
    window, else the seconds until its oldest failure in the window expires. Counted in
    the database, so the limit holds across workers and hosts; it never lasts longer than
    the window, so the right password works again once the guessing stops."""
    limit = parse_limit(current_app.config["LOGIN_RATE_LIMIT"])
    window = timedelta(seconds=limit.get_expiry())
    now = utcnow()
    db.session.execute(delete(LoginFailure).where(LoginFailure.created_at < now - window))
    recent = db.session.scalars(select(LoginFailure.created_at).where(
        LoginFailure.address == address).order_by(LoginFailure.created_at.desc())
        .limit(limit.amount)).all()
    db.session.commit()
    if len(recent) < limit.amount:
        return 0
    return max(1, math.ceil((recent[-1] + window - now).total_seconds()))


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in; failed attempts per address are limited (LOGIN_RATE_LIMIT)."""
    form = LoginForm()
    if request.method == "POST" and (wait := _seconds_to_wait(get_remote_address())):
        form.password.errors = [f"Too many failed sign-ins from your address; wait {wait} "
                                "seconds, then try again."]
        return render_template("login.html", form=form), 429, {"Retry-After": str(wait)}
    if form.validate_on_submit():
        op = db.session.scalar(select(Operator).where(Operator.username == form.username.data.strip()))
        if op is not None and op.check_password(form.password.data):
            login_user(op)
            return redirect(_next_url())
        db.session.add(LoginFailure(address=get_remote_address()))
        db.session.commit()
        form.password.errors.append("The user name or the password is wrong; try again.")
    return render_template("login.html", form=form)


@bp.post("/logout")
def logout():
    """Sign out (a POST with a CSRF token, so that no link can sign anyone out), here and
    wherever this operator is signed in: a copy of the cookie no longer works."""
    if current_user.is_authenticated:
        current_user.end_sessions()
        db.session.commit()
    logout_user()
    flash("You are signed out.")
    return redirect(url_for("web.login"))

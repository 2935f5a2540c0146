"""Sign in, sign out and the first operator."""
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import login_user, logout_user
from sqlalchemy import select

from ..extensions import db, limiter
from ..models import Operator
from . import bp
from .forms import LoginForm, SetupForm


def _next_url() -> str:
    target = request.args.get("next", "")
    # Only local paths: never redirect to another site.
    return target if target.startswith("/") and not target.startswith("//") else url_for("web.home")


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


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])  # slows password guessing
def login():
    """Sign in."""
    form = LoginForm()
    if form.validate_on_submit():
        op = db.session.scalar(select(Operator).where(Operator.username == form.username.data.strip()))
        if op is not None and op.check_password(form.password.data):
            login_user(op)
            return redirect(_next_url())
        form.password.errors.append("The user name or the password is wrong; try again.")
    return render_template("login.html", form=form)


@bp.post("/logout")
def logout():
    """Sign out (a POST with a CSRF token, so that no link can sign anyone out)."""
    logout_user()
    flash("You are signed out.")
    return redirect(url_for("web.login"))

"""A person's data on the pages: download it all as a zip; erase it all after a confirmation."""
from __future__ import annotations

from flask import Response, flash, redirect, render_template, stream_with_context, url_for

from ..auth import admin_required
from ..auth.audit import current_actor
from ..faces import get_person
from ..library.erase import erase_person
from ..library.person_export import export_person
from . import bp
from .forms import ConfirmDeleteForm


@bp.get("/people/<int:person_id>/export")
@admin_required
def export_person_page(person_id: int):
    """Everything held about the person, as a zip (streamed)."""
    parts = export_person(person_id, current_actor())
    return Response(stream_with_context(parts), mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="person-{person_id}.zip"', "Cache-Control": "no-store"})


@bp.route("/people/<int:person_id>/erase", methods=["GET", "POST"])
@admin_required
def erase_person_page(person_id: int):
    """Ask, then erase a person and everything held about them (no undo)."""
    p, form = get_person(person_id), ConfirmDeleteForm()
    if form.validate_on_submit():
        name = p.name
        done = erase_person(person_id)
        flash(f"{name} was erased: {done['faces']} faces, {done['sightings']} unknown faces, "
              f"{done['arrivals']} arrivals and every other record of them.")
        return redirect(url_for("web.people"))
    return render_template(
        "confirm.html", title=f"Erase {p.name} and everything about them?", form=form,
        back=url_for("web.person", person_id=p.id), yes=f"Yes, erase {p.name}",
        text=f"Their {len(p.faces)} photos, the unknown faces named after them or taken from their "
             "photos, their arrivals, the faces marked not them, the webhook deliveries and audit "
             "entries that name them are deleted for good, here and on every worker; the audit "
             "keeps only that they were erased, by whom and when. This cannot be undone: "
             "download their data first if they asked for a copy.")

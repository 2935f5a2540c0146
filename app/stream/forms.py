"""Forms of the live page (CSRF-protected like every form)."""
from flask import flash
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField
from wtforms.validators import AnyOf, InputRequired, Length


class SourceForm(FlaskForm):
    source = StringField("Camera", [InputRequired("Give a source: demo, a webcam number, a "
                                                  "video file or a stream URL."), Length(max=500)])


class EnrolTrackForm(FlaskForm):
    track = IntegerField("Face", [InputRequired("Choose a face in view.")])
    mode = HiddenField(default="server", validators=[AnyOf(["server", "browser"])])
    name = StringField("Name", [InputRequired("Give the person's name."), Length(max=120)])


def flash_hidden_errors(form: FlaskForm) -> None:
    """A refused form's errors that no field shows (an expired CSRF token), as a message."""
    for error in form.errors.get("csrf_token", ()):
        flash(f"{error} Send the form again.")

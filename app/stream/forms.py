"""Forms of the live page (CSRF-protected like every form)."""
from flask import flash
from flask_wtf import FlaskForm
from wtforms import FloatField, HiddenField, IntegerField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired, Length


class SourceForm(FlaskForm):
    source = StringField("Camera", [InputRequired("Give a source: demo, a webcam number, a "
                                                  "video file or a stream URL."), Length(max=500)])


class EnrolTrackForm(FlaskForm):
    track = IntegerField("Face", [InputRequired("Choose a face in view.")])
    mode = HiddenField(default="server", validators=[AnyOf(["server", "browser"])])
    name = StringField("Name", [InputRequired("Give the person's name."), Length(max=120)])


class CameraForm(FlaskForm):
    name = StringField("Name", [InputRequired("Give the camera a name."), Length(max=120)])
    source = StringField("Source", [InputRequired("Give a source: demo, a webcam number, a "
                                                  "video file or a stream URL."), Length(max=500)])


class WebhookForm(FlaskForm):
    url = StringField("URL", [InputRequired("Give the URL that receives the events."), Length(max=2000)])
    events = SelectMultipleField("Events (none chosen: all)", choices=[
        SelectChoice("arrival", "arrivals"), SelectChoice("departure", "departures"),
        SelectChoice("unknown", "unknown faces")])


class ActionForm(FlaskForm):
    """A button (enable, disable, delete, send a test event): only the CSRF token."""


class CameraSettingsForm(FlaskForm):
    source = StringField("Source", [InputRequired("Give a source."), Length(max=500)])
    detect_side = IntegerField("Detection width (px)", [InputRequired("Give a width in pixels.")])
    min_face = IntegerField("Smallest face (px)", [InputRequired("Give a size in pixels.")])
    recognition_fps = FloatField("Recognitions per second at most",
                                 [InputRequired("Give a number of recognitions per second.")])
    ignore_region = StringField("Region to ignore: x,y,width,height (empty: none)", [Length(max=64)])


def flash_hidden_errors(form: FlaskForm) -> None:
    """A refused form's errors that no field shows (an expired CSRF token), as a message."""
    for error in form.errors.get("csrf_token", ()):
        flash(f"{error} Send the form again.")

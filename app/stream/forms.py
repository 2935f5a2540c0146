"""Forms of the live page (CSRF-protected like every form)."""
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

"""Web forms (Flask-WTF: every one carries a CSRF token)."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (DecimalField, FloatField, HiddenField, IntegerField, PasswordField, SelectField,
                     SelectMultipleField, StringField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import EqualTo, InputRequired, Length, NumberRange

PHOTO_HELP = "A JPEG, PNG or WebP photo of up to 10 MB."


class SetupForm(FlaskForm):
    username = StringField("User name", [InputRequired("Choose a user name."), Length(max=64)])
    password = PasswordField("Password", [InputRequired("Choose a password."),
                                          Length(min=8, message="Use at least 8 characters.")])
    confirm = PasswordField("Password again", [EqualTo("password", "The two passwords differ; type them again.")])


class LoginForm(FlaskForm):
    username = StringField("User name", [InputRequired("Give your user name.")])
    password = PasswordField("Password", [InputRequired("Give your password.")])


class EnrolForm(FlaskForm):
    name = StringField("Name", [InputRequired("Give the person's name."), Length(max=120)])
    photo = FileField("Photo", [FileRequired("Choose a photo of the person.")], description=PHOTO_HELP)


class PhotoForm(FlaskForm):
    photo = FileField("Photo", [FileRequired("Choose a photo.")], description=PHOTO_HELP)


class ConfirmForm(FlaskForm):
    token = HiddenField()
    face = IntegerField("Face", [InputRequired("Choose which face to enrol.")])


class RenameForm(FlaskForm):
    name = StringField("New name", [InputRequired("Give the new name."), Length(max=120)])


class ConfirmDeleteForm(FlaskForm):
    """Only the CSRF token: the confirmation is the page that shows this form."""


class SettingsForm(FlaskForm):
    threshold = DecimalField("Identification threshold", [
        InputRequired("Give a threshold."),
        NumberRange(0.3, 1.4, "Give a number between 0.30 and 1.40.")], places=3,
        description="A distance between face embeddings, 0.30 to 1.40: lower is stricter.")


class OperatorForm(FlaskForm):
    username = StringField("User name", [InputRequired("Give a user name."), Length(max=64)])
    password = PasswordField("Password", [InputRequired("Choose a password."),
                                          Length(min=8, message="Use at least 8 characters.")])
    role = SelectField("Role", choices=[SelectChoice("viewer", "viewer: live video, arrivals, identify"),
                                        SelectChoice("admin", "admin: everything")], default="viewer")


class KeyForm(FlaskForm):
    name = StringField("Key name", [InputRequired("Name the key, e.g. after the program that uses it."),
                                    Length(max=64)], description="Who or what will use it, e.g. front-door-script.")


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

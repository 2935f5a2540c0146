"""Web forms (Flask-WTF: every one carries a CSRF token)."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (BooleanField, DecimalField, FloatField, HiddenField, IntegerField, PasswordField, SelectField,
                     SelectMultipleField, StringField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import EqualTo, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..faces.thresholds import SLIDER

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


class IdentifyForm(PhotoForm):
    remember = BooleanField("Remember the unknown faces", description=(
        "Keeps each unknown face (its crop and embedding) in Who is this? so that you can name it; "
        "forgotten after the library's retention unless named. Off: nothing of the photo is kept."))


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
        NumberRange(SLIDER[0], SLIDER[1], f"Give a number between {SLIDER[0]:.2f} and {SLIDER[1]:.2f}.")],
        places=3, description=f"A distance between face embeddings, {SLIDER[0]:.2f} to {SLIDER[1]:.2f}: "
                              "lower is stricter.")


ROLE_CHOICES = [SelectChoice("viewer", "viewer: live video, arrivals, identify"),
                SelectChoice("admin", "admin: everything")]


class OperatorForm(FlaskForm):
    username = StringField("User name", [InputRequired("Give a user name."), Length(max=64)])
    password = PasswordField("Password", [InputRequired("Choose a password."),
                                          Length(min=8, message="Use at least 8 characters.")])
    role = SelectField("Role", choices=ROLE_CHOICES, default="viewer")


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)


class PasswordForm(FlaskForm):
    """An admin gives an operator a new password."""
    password = PasswordField("New password", [InputRequired("Choose a password."),
                                              Length(min=8, message="Use at least 8 characters.")])


class OwnPasswordForm(FlaskForm):
    current = PasswordField("Current password", [InputRequired("Give your current password.")])
    password = PasswordField("New password", [InputRequired("Choose a new password."),
                                              Length(min=8, message="Use at least 8 characters.")])
    confirm = PasswordField("New password again", [EqualTo("password", "The two passwords differ; type them again.")])


class KeyForm(FlaskForm):
    name = StringField("Key name", [InputRequired("Name the key, e.g. after the program that uses it."),
                                    Length(max=64)], description="Who or what will use it, e.g. front-door-script.")


class CameraForm(FlaskForm):
    name = StringField("Name", [InputRequired("Give the camera a name."), Length(max=120)])
    source = StringField("Source", [InputRequired("Give a source: demo, a webcam number, a "
                                                  "video file or a stream URL."), Length(max=500)])


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes (a multiple select needs ctrl-click)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class WebhookForm(FlaskForm):
    url = StringField("URL", [InputRequired("Give the URL that receives the events."), Length(max=2000)])
    events = CheckboxesField("Events (none ticked: all)", choices=[
        SelectChoice("arrival", "arrivals"), SelectChoice("departure", "departures"),
        SelectChoice("unknown", "unknown faces")])
    person = StringField("Only for this person (optional)", [Length(max=120)])
    cameras = CheckboxesField("Only from these cameras (none ticked: all)", coerce=int, choices=[])


class ActionForm(FlaskForm):
    """A button (enable, disable, delete, send a test event): only the CSRF token."""


class CameraSettingsForm(FlaskForm):
    source = StringField("Source", [InputRequired("Give a source."), Length(max=500)])
    detect_side = IntegerField("Detection width (px)", [InputRequired("Give a width in pixels.")])
    min_face = IntegerField("Smallest face (px)", [InputRequired("Give a size in pixels.")])
    recognition_fps = FloatField("Recognitions per second at most",
                                 [InputRequired("Give a number of recognitions per second.")])
    ignore_region = StringField("Region to ignore: x,y,width,height (empty: none)", [Length(max=64)])
    learn_unknown = BooleanField("Learn unknown faces", description=(
        "Keeps the faces of people nobody enrolled (crops and embeddings) in Who is this? "
        "until they expire. Off: a stranger's face is shown live and in Arrivals, never grouped."))
    privacy = SelectField("Privacy of its stream", choices=[
        ("off", "Show every face"), ("unknown", "Blur the faces of people not enrolled"),
        ("all", "Blur every face")], default="off", description=(
        "Blurs faces in the stream, the grid, snapshots and the crops shown; a face not named "
        "yet counts as not enrolled."))
    retain_sightings_days = FloatField("Days its unknown faces are kept (empty: the default)",
                                       [Optional()], description="Settings shows the defaults.")
    retain_arrivals_days = FloatField("Days its arrivals are kept (empty: the default)", [Optional()])

"""Web forms (Flask-WTF: every one carries a CSRF token)."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DecimalField, HiddenField, IntegerField, PasswordField, SelectField, StringField
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

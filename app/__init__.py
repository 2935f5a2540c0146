"""Face recognition web application: `create_app` builds a configured Flask app."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask

from . import private_files
from .config import Config
from .extensions import csrf, db, limiter, login_manager, migrate
from .faces import runtime
from .http import errors, security
from .library import data_key


def _instance_paths(app: Flask) -> None:
    instance = private_files.private_folder(Path(app.instance_path))
    app.config["MODELS_DIR"] = app.config["MODELS_DIR"] or str(instance / "models")
    app.config["SAMPLES_DIR"] = app.config["SAMPLES_DIR"] or str(instance / "samples")
    app.config["VIDEOS_DIR"] = app.config["VIDEOS_DIR"] or str(instance / "videos")
    app.config["INDEX_DIR"] = app.config["INDEX_DIR"] or str(instance / "index")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = security.secret_key(instance)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'faces.db'}"
    private_files.secure_instance(instance, str(app.config["SQLALCHEMY_DATABASE_URI"]),
                                  Path(app.config["INDEX_DIR"]))


def create_app(config_class: type = Config) -> Flask:
    """Application factory: nothing heavy (models, cameras) is loaded here."""
    # The instance folder sits at the repository root, beside app/.
    root = Path(__file__).resolve().parent.parent
    app = Flask(__name__, instance_path=str(root / "instance"),
                template_folder=str(root / "templates"), static_folder=str(root / "static"))
    app.config.from_object(config_class)
    # instance/config.py (a relative name would be app/config.py itself, Flask's root_path).
    app.config.from_pyfile(str(Path(app.instance_path) / "config.py"), silent=True)
    _instance_paths(app)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    security.init_app(app)  # first: routes registered below use its id converter
    db.init_app(app)
    with app.app_context():  # a missing or wrong FACES_DATA_KEY stops here, saying which
        data_key.start(db.engine, app.config["DATA_KEY"], app.config["IDENTIFY_THRESHOLD"])
    # The migrations folder sits at the repository root, whatever the working directory.
    migrate.init_app(app, db, directory=str(root / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    runtime.init_app(app)

    from . import auth  # noqa: F401  (registers how operators are loaded)
    from .api import bp as api_bp
    from .cli import bp as cli_bp
    from .stream import bp as stream_bp
    from .web import bp as web_bp

    errors.register(app)
    app.register_blueprint(api_bp, url_prefix="/api")
    app.register_blueprint(web_bp)
    app.register_blueprint(stream_bp)
    app.register_blueprint(cli_bp)
    # Retention: each process expires what is past its time hourly, in a thread of its own.
    from .library.expiry import start_if_due
    app.before_request(lambda: start_if_due(app))
    if app.config["WARM_UP"]:
        _warm_up(app)
    if app.config["CAMERAS_AUTOSTART"]:
        _start_cameras(app)
    return app


def _start_cameras(app: Flask) -> None:
    """Servers: every worker competes for the camera lock now, so that the cameras (and
    their events) run without waiting for a viewer (app/stream/runner.py)."""
    from .stream.sync import camera_runner

    with app.app_context():
        camera_runner()


def _warm_up(app: Flask) -> None:
    """Load the active model's networks now (servers: the first request is then not slow).
    Before the first migration there is no state row: the pretrained model it will be."""
    from sqlalchemy.exc import SQLAlchemyError

    from .faces import get_state, state
    from .recognition.weights import PRETRAINED

    with app.app_context():
        try:
            model = get_state().active_model
        except SQLAlchemyError:
            db.session.rollback()
            model = PRETRAINED
        state().pipeline(model).warm_up()

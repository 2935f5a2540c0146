"""Face recognition web application: `create_app` builds a configured Flask app."""
from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask

from .config import Config


def _instance_paths(app: Flask) -> None:
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    app.config["MODELS_DIR"] = app.config["MODELS_DIR"] or str(instance / "models")
    app.config["SAMPLES_DIR"] = app.config["SAMPLES_DIR"] or str(instance / "samples")
    if not app.config.get("SECRET_KEY"):
        key_file = instance / "secret_key"
        if not key_file.exists():
            key_file.write_text(os.urandom(32).hex())
        app.config["SECRET_KEY"] = key_file.read_text().strip()


def create_app(config_class: type = Config) -> Flask:
    """Application factory: nothing heavy (models, cameras) is loaded here."""
    # The instance folder sits at the repository root, beside app/.
    root = Path(__file__).resolve().parent.parent
    app = Flask(__name__, instance_path=str(root / "instance"),
                template_folder=str(root / "templates"), static_folder=str(root / "static"))
    app.config.from_object(config_class)
    app.config.from_pyfile("config.py", silent=True)
    _instance_paths(app)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from .cli import bp as cli_bp
    app.register_blueprint(cli_bp)
    return app

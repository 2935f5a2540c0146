"""Layers import downward only (issue 20): every `import` in app/, at module level or inside
a function, goes from a package to one listed below it. The domain (stream down to
auth) raises app.errors' Problem and never imports app/http, whose table maps each error
type to an HTTP status."""
from __future__ import annotations

import ast

from support import ROOT

# Top to bottom; a package may import its own modules and those of any row below its own.
LAYERS = [
    {"app"},  # the factory: app/__init__.py
    {"web", "api", "cli"},
    {"http"},
    {"stream"}, {"events"}, {"library"}, {"faces"}, {"auth"},
    {"models"}, {"evaluation"}, {"recognition"},
    {"config", "errors", "extensions", "hosts", "private_files"},  # they import nothing of app
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def _unit(module: str) -> str:
    """app.faces.people -> faces, app.config -> config, app -> app."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "app"


def _unit_of(path) -> str:
    """app/faces/people.py -> faces, app/__init__.py -> app."""
    return _unit(".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"))


def imports(path) -> set[str]:
    """The app modules (absolute names) that the file at `path` imports anywhere in it."""
    module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    package = module.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = ".".join(package[: len(package) - node.level + 1])
            found |= {f"{base}.{node.module}"} if node.module else {f"{base}.{a.name}" for a in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "app":
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "app"}
    return found


def test_every_import_goes_down_the_layers():
    upward = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        source = _unit_of(path)
        for target in imports(path):
            if _unit(target) != source and RANK[_unit(target)] <= RANK[source]:
                upward.append(f"{path.relative_to(ROOT)} imports {target}")
    assert upward == []


def test_the_layers_name_every_package_of_app():
    units = {_unit_of(p) for p in (ROOT / "app").rglob("*.py")}
    assert units == set(RANK)


def test_the_domain_raises_problems_not_http_aborts():
    """The domain says what went wrong (app.errors) and the edge picks the status: no
    flask/werkzeug `abort` below app/http."""
    aborting = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        unit = _unit_of(path)
        for node in ast.walk(ast.parse(path.read_text())):
            if (RANK[unit] > RANK["http"] and isinstance(node, ast.ImportFrom)
                    and node.module in ("flask", "werkzeug.exceptions")
                    and "abort" in {a.name for a in node.names}):
                aborting.append(str(path.relative_to(ROOT)))
    assert aborting == []


def test_every_error_type_raised_has_a_status():
    from app.http.errors import HTTP_TYPES
    from app.http.problems import TYPES
    from app.recognition import errors

    raised = set()
    for path in (ROOT / "app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Problem":
                first = node.args[0] if node.args else None
                if isinstance(first, ast.Constant):
                    raised.add(first.value)
    raised |= {c.type for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.RecognitionError)}
    raised |= {t for t, _ in HTTP_TYPES.values()}
    assert raised - set(TYPES) == set()
    assert {"conflict", "not-found", "invalid-input", "busy"} <= raised  # the walk found them

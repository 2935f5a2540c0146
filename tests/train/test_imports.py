"""train/'s modules import each other in one direction only: no two import each other,
not even for type hints (issue 20: checkpoint.py and finetune.py did)."""
from __future__ import annotations

import ast

from support import ROOT


def local_imports(path) -> set[str]:
    """The train/ modules that `path` imports (relative or absolute, anywhere in the file)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:
                names.add(node.module.split(".")[0])
            elif node.module and node.module.startswith("train."):
                names.add(node.module.split(".")[1])
    return names


def test_no_two_train_modules_import_each_other():
    modules = {p.stem: local_imports(p) for p in (ROOT / "train").glob("*.py")}
    circles = sorted((a, b) for a, uses in modules.items() for b in uses
                     if a < b and a in modules.get(b, ()))
    assert circles == []

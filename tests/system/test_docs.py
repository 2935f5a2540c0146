"""What the docs name exists (issue 20.5): every repository path in README.md and docs/*.md
(globs and {a,b} included; instance/ is made at run time and not checked), every link
between the docs, every `make` target, every `flask faces` command they show and every
FACES_ setting they name."""
from __future__ import annotations

import re
from pathlib import Path

from support import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TOP = r"(?:app|scripts|tests|docs|train|migrations|templates|static|reports|\.ci)"
PATH = re.compile(rf"(?<![\w/.~-]){TOP}/[\w./*{{}},-]*")
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
CODE = re.compile(r"```.*?```|`[^`\n]+`", re.S)


def expand(pattern: str) -> list[str]:
    """{a,b} alternatives expanded (one level)."""
    m = re.search(r"\{([^{}]*)\}", pattern)
    return [pattern[:m.start()] + alt + pattern[m.end():] for alt in m.group(1).split(",")] if m else [pattern]


def exists(path: str) -> bool:
    return any(any(ROOT.glob(p)) if "*" in p else (ROOT / p).exists() for p in expand(path.rstrip(".,:;/")))


def named_paths(doc: Path) -> set[str]:
    text = doc.read_text()
    links = {str((doc.parent / link).resolve().relative_to(ROOT)) for link in LINK.findall(text)
             if "://" not in link and not link.startswith("mailto:")}
    return set(PATH.findall(text)) | links


def test_every_path_named_in_the_docs_exists():
    missing = {doc.name: sorted(p for p in named_paths(doc) if not exists(p)) for doc in DOCS}
    assert {name: paths for name, paths in missing.items() if paths} == {}


def code_words(pattern: str) -> dict[str, set[str]]:
    """{doc name: words that follow `pattern` in its code spans and blocks}."""
    return {doc.name: {w for code in CODE.findall(doc.read_text()) for w in re.findall(pattern, code)}
            for doc in DOCS}


def test_every_make_target_named_in_the_docs_exists():
    targets = set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), re.M))
    unknown = {doc: sorted(words - targets) for doc, words in code_words(r"\bmake ([a-z][\w-]*)").items()}
    assert {doc: words for doc, words in unknown.items() if words} == {}


def test_every_flask_faces_command_named_in_the_docs_exists():
    from app import create_app
    from app.config import TestConfig

    group = create_app(type("Cfg", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": "sqlite://"})).cli.commands["faces"]
    commands = set(group.commands)
    unknown = {doc: sorted(words - commands) for doc, words in code_words(r"\bflask faces ([a-z][\w-]*)").items()}
    assert {doc: words for doc, words in unknown.items() if words} == {}


def test_every_setting_named_in_the_docs_is_declared():
    from app.config import SETTINGS

    declared = {s.env for s in SETTINGS}
    # A family written with a wildcard (FACES_RETAIN_*) or a shared tail (`_TIMEOUT_SECONDS`) counts.
    named = {doc.name: set(re.findall(r"\bFACES_[A-Z0-9_]*[A-Z0-9]\b(?!_?\*)", doc.read_text())) for doc in DOCS}
    unknown = {doc: sorted(names - declared) for doc, names in named.items()}
    assert {doc: names for doc, names in unknown.items() if names} == {}

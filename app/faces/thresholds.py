"""What an identification threshold means, in words, from figures measured on LFW with the
active model: its model.json's "thresholds" (`scripts/open_set.py --model NAME --save`, with
the crowding rule and with `--crowding 0`). A model without them (the pretrained one, whose
folder `make setup` writes) is described by the committed reports (`make open-set`:
reports/open_set.json, reports/open_set_plain.json; facenet-keras-v1, int8 encoder), and
the Settings page says so (`measured_on`).

A stranger is compared with all N people enrolled, so if one comparison falls under the
threshold with probability p, the stranger is taken for someone with probability about
1 - (1 - p)^N. p comes from each report's `stranger_pair_accept` (estimated from galleries
of 20 to 4,038 LFW people, see scripts/open_set.py), the share of enrolled people's other
photos named right from its `curve` (1,184 people enrolled from one photo each). At
N = 1,184 the formula gives 0.78 % (crowding, 0.8) where 0.91 % was measured.
"""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np

from ..recognition.manifest import measured
from ..recognition.match import Crowding
from ..recognition.weights import PRETRAINED

REPORTS = Path(__file__).resolve().parents[2] / "reports"
REPORT_FILES = {"crowding": "open_set.json", "plain": "open_set_plain.json"}


@cache
def tables(rule: str, model_dir: Path | None = None) -> tuple[dict[float, float], dict[float, float]]:
    """(threshold -> share of comparisons with a stranger under it, threshold -> share of
    enrolled people's photos named right) for "plain" or "crowding": those measured on the
    model in `model_dir` when its model.json has them, else the committed report's. Read
    once per process (a model measured again is read at the next start)."""
    report = measured(model_dir).get(rule) if model_dir is not None else None
    if report is None:
        report = json.loads((REPORTS / REPORT_FILES[rule]).read_text())
    pair_accept = {float(t): p for t, p in report["stranger_pair_accept"].items()}
    named_right = {c["threshold"]: c["named_right"] for c in report["curve"]}
    return pair_accept, named_right


def measured_on(model_dir: Path | None) -> str:
    """Which model the words are measured on, for the Settings page."""
    name = PRETRAINED if model_dir is None else Path(model_dir).name
    if model_dir is not None and measured(model_dir).keys() >= set(REPORT_FILES):
        return f"measured on {name} itself"
    if name == PRETRAINED:
        return f"measured on {PRETRAINED} (int8 encoder)"
    return (f"measured on the pretrained {PRETRAINED}: {name} has no figures of its own yet "
            f"(scripts/open_set.py --model {name} --save)")


def _rule(crowding: float, people: int) -> str:
    """Which tables: crowding only moves thresholds in a gallery big enough (match.py)."""
    return "crowding" if crowding > 0 and people >= Crowding.min_people else "plain"


def _interp(table: dict, t: float, log: bool = False) -> float:
    x, y = np.array(list(table)), np.array(list(table.values()))
    if log:
        return float(np.exp(np.interp(t, x, np.log(y))))
    return float(np.interp(t, x, y))


def strangers_accepted(threshold: float, people: int, crowding: float = 0.0,
                       model_dir: Path | None = None) -> float:
    """Expected share of strangers taken for someone with `people` enrolled (figures of the
    model in `model_dir`, `tables`)."""
    p = _interp(tables(_rule(crowding, people), model_dir)[0], threshold, log=True)
    return 1.0 - (1.0 - p) ** max(people, 1)


def strangers_words(rate: float) -> str:
    """A share of strangers taken for someone, in words: "about 1 stranger in 76"."""
    if rate < 1e-3:
        return "fewer than 1 stranger in 1,000"
    if rate < 0.5:
        return f"about 1 stranger in {round(1 / rate):,}"
    return f"about {round(100 * rate)} strangers in 100"


def describe(threshold: float, people: int, crowding: float = 0.0, model_dir: Path | None = None) -> str:
    """One or two sentences for the Settings page."""
    rate = strangers_accepted(threshold, people, crowding, model_dir)
    who = f"With {people:,} {'person' if people == 1 else 'people'} enrolled"
    strangers = strangers_words(rate) + (" is" if rate < 0.5 else " are") + " taken for someone"
    named = round(100 * _interp(tables(_rule(crowding, people), model_dir)[1], threshold))
    return (f"{who}, {strangers}. About {named} in 100 new photos of an enrolled person "
            f"(enrolled from one photo) are named; the others come back as unknown. "
            f"More photos per person raise that share.")


def suggest(people: int, crowding: float = 0.0, target: float = 0.01, model_dir: Path | None = None) -> float:
    """The largest threshold (to 0.005) at which about `target` of strangers are accepted
    with `people` enrolled: fewer people allow a looser threshold."""
    grid = np.arange(0.60, 1.2001, 0.005)
    ok = [t for t in grid if strangers_accepted(t, people, crowding, model_dir) <= target]
    return round(float(ok[-1]), 3) if ok else 0.6


# Named presets for the Settings page: the share of strangers each accepts at most.
PRESETS = (("Strict", 0.001), ("Balanced", 0.01), ("Lenient", 0.05))
SLIDER = (0.60, 1.20, 0.005)  # the range (and step) the Settings slider and the form accept


def presets(people: int, crowding: float = 0.0, default: float | None = None,
            model_dir: Path | None = None) -> list[tuple[str, float, str]]:
    """(name, threshold, strangers taken for someone in words) for each preset with `people`
    enrolled, by threshold; `default` (the app's configured threshold, fixed whatever the
    number of people) is one of them, so that a fresh install's value is a choice on the page."""
    rows = [(name, suggest(people, crowding, target, model_dir)) for name, target in PRESETS]
    if default is not None:
        rows.append(("Default", round(default, 3)))
    return [(name, t, strangers_words(strangers_accepted(t, people, crowding, model_dir)))
            for name, t in sorted(rows, key=lambda r: r[1])]


def words_by_threshold(people: int, crowding: float = 0.0, model_dir: Path | None = None) -> dict[str, str]:
    """describe() for every slider position ("0.800" -> sentences), so that the page can
    explain a value as the slider moves without asking the server."""
    low, high, step = SLIDER
    grid = np.round(np.arange(low, high + step / 2, step), 3)
    return {f"{t:.3f}": describe(float(t), people, crowding, model_dir) for t in grid}

"""What an identification threshold means, in words, from figures measured on LFW and
committed as reports (`make open-set`: reports/open_set.json with the crowding rule,
reports/open_set_plain.json with `--crowding 0`; model facenet-keras-v1, int8 encoder).

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

from ..recognition.match import Crowding

REPORTS = Path(__file__).resolve().parents[2] / "reports"
REPORT_FILES = {"crowding": "open_set.json", "plain": "open_set_plain.json"}


@cache
def tables(rule: str) -> tuple[dict[float, float], dict[float, float]]:
    """(threshold -> share of comparisons with a stranger under it, threshold -> share of
    enrolled people's photos named right) for "plain" or "crowding", read once from the
    committed report."""
    report = json.loads((REPORTS / REPORT_FILES[rule]).read_text())
    pair_accept = {float(t): p for t, p in report["stranger_pair_accept"].items()}
    named_right = {c["threshold"]: c["named_right"] for c in report["curve"]}
    return pair_accept, named_right


def _rule(crowding: float, people: int) -> str:
    """Which tables: crowding only moves thresholds in a gallery big enough (match.py)."""
    return "crowding" if crowding > 0 and people >= Crowding.min_people else "plain"


def _interp(table: dict, t: float, log: bool = False) -> float:
    x, y = np.array(list(table)), np.array(list(table.values()))
    if log:
        return float(np.exp(np.interp(t, x, np.log(y))))
    return float(np.interp(t, x, y))


def strangers_accepted(threshold: float, people: int, crowding: float = 0.0) -> float:
    """Expected share of strangers taken for someone with `people` enrolled."""
    p = _interp(tables(_rule(crowding, people))[0], threshold, log=True)
    return 1.0 - (1.0 - p) ** max(people, 1)


def strangers_words(rate: float) -> str:
    """A share of strangers taken for someone, in words: "about 1 stranger in 76"."""
    if rate < 1e-3:
        return "fewer than 1 stranger in 1,000"
    if rate < 0.5:
        return f"about 1 stranger in {round(1 / rate):,}"
    return f"about {round(100 * rate)} strangers in 100"


def describe(threshold: float, people: int, crowding: float = 0.0) -> str:
    """One or two sentences for the Settings page."""
    rate = strangers_accepted(threshold, people, crowding)
    who = f"With {people:,} {'person' if people == 1 else 'people'} enrolled"
    strangers = strangers_words(rate) + (" is" if rate < 0.5 else " are") + " taken for someone"
    named = round(100 * _interp(tables(_rule(crowding, people))[1], threshold))
    return (f"{who}, {strangers}. About {named} in 100 new photos of an enrolled person "
            f"(enrolled from one photo) are named; the others come back as unknown. "
            f"More photos per person raise that share.")


def suggest(people: int, crowding: float = 0.0, target: float = 0.01) -> float:
    """The largest threshold (to 0.005) at which about `target` of strangers are accepted
    with `people` enrolled: fewer people allow a looser threshold."""
    grid = np.arange(0.60, 1.2001, 0.005)
    ok = [t for t in grid if strangers_accepted(t, people, crowding) <= target]
    return round(float(ok[-1]), 3) if ok else 0.6


# Named presets for the Settings page: the share of strangers each accepts at most.
PRESETS = (("Strict", 0.001), ("Balanced", 0.01), ("Lenient", 0.05))
SLIDER = (0.60, 1.20, 0.005)  # the range (and step) the Settings slider and the form accept


def presets(people: int, crowding: float = 0.0, default: float | None = None) -> list[tuple[str, float, str]]:
    """(name, threshold, strangers taken for someone in words) for each preset with `people`
    enrolled, by threshold; `default` (the app's configured threshold, fixed whatever the
    number of people) is one of them, so that a fresh install's value is a choice on the page."""
    rows = [(name, suggest(people, crowding, target)) for name, target in PRESETS]
    if default is not None:
        rows.append(("Default", round(default, 3)))
    return [(name, t, strangers_words(strangers_accepted(t, people, crowding)))
            for name, t in sorted(rows, key=lambda r: r[1])]


def words_by_threshold(people: int, crowding: float = 0.0) -> dict[str, str]:
    """describe() for every slider position ("0.800" -> sentences), so that the page can
    explain a value as the slider moves without asking the server."""
    low, high, step = SLIDER
    grid = np.round(np.arange(low, high + step / 2, step), 3)
    return {f"{t:.3f}": describe(float(t), people, crowding) for t in grid}

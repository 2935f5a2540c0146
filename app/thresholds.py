"""What an identification threshold means, in words, from figures measured on LFW
(`python scripts/open_set.py`, model facenet-keras-v1, int8 encoder).

A stranger is compared with all N people enrolled, so if one comparison falls under the
threshold with probability p, the stranger is taken for someone with probability about
1 - (1 - p)^N. Two sets of tables: the plain threshold (crowding weight 0; p measured on
4.07 million pairs of LFW people with one photo) and the threshold moved by each face's
crowding (weight 0.7, the default; p estimated from galleries of 20 to 4,038 LFW people,
see `stranger_pair_accept` in scripts/open_set.py). At N = 1,184 the formula gives 0.95 %
(plain, 0.775) and 0.78 % (crowding, 0.8) where 0.98 % and 0.91 % were measured.
"""
from __future__ import annotations

import numpy as np

from .recognition.match import Crowding

# L2 threshold -> share of comparisons with a stranger that fall under it.
PAIR_ACCEPT = {
    "plain": {0.60: 9.83e-07, 0.65: 1.72e-06, 0.70: 2.46e-06, 0.75: 4.91e-06, 0.80: 1.3e-05,
              0.85: 3.68e-05, 0.90: 1.25e-4, 0.95: 3.85e-4, 1.00: 1.12e-3, 1.05: 3.01e-3,
              1.10: 7.63e-3, 1.15: 1.84e-2, 1.20: 4.28e-2},
    "crowding": {0.60: 9.57e-07, 0.65: 1.39e-06, 0.70: 1.74e-06, 0.75: 3.06e-06, 0.80: 6.6e-06,
                 0.85: 2.06e-05, 0.90: 8.04e-05, 0.95: 3.15e-4, 1.00: 9.47e-4, 1.05: 1.29e-3,
                 1.10: 4.73e-3},
}
# L2 threshold -> share of enrolled people's other photos named right (one photo each,
# 1,184 people enrolled; the rest come back unknown or, rarely, as someone else).
NAMED_RIGHT = {
    "plain": {0.60: 0.413, 0.65: 0.553, 0.70: 0.676, 0.75: 0.779, 0.80: 0.859, 0.85: 0.911,
              0.90: 0.949, 0.95: 0.964, 1.00: 0.973, 1.05: 0.975, 1.10: 0.976},
    "crowding": {0.60: 0.373, 0.65: 0.521, 0.70: 0.661, 0.75: 0.775, 0.80: 0.860, 0.85: 0.916,
                 0.90: 0.952, 0.95: 0.968, 1.00: 0.975, 1.05: 0.976, 1.10: 0.976},
}


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
    p = _interp(PAIR_ACCEPT[_rule(crowding, people)], threshold, log=True)
    return 1.0 - (1.0 - p) ** max(people, 1)


def describe(threshold: float, people: int, crowding: float = 0.0) -> str:
    """One or two sentences for the Settings page."""
    rate = strangers_accepted(threshold, people, crowding)
    who = f"With {people:,} {'person' if people == 1 else 'people'} enrolled"
    if rate < 1e-3:
        strangers = "fewer than 1 stranger in 1,000 is taken for someone"
    elif rate < 0.5:
        strangers = f"about 1 stranger in {round(1 / rate):,} is taken for someone"
    else:
        strangers = f"about {round(100 * rate)} strangers in 100 are taken for someone"
    named = round(100 * _interp(NAMED_RIGHT[_rule(crowding, people)], threshold))
    return (f"{who}, {strangers}. About {named} in 100 new photos of an enrolled person "
            f"(enrolled from one photo) are named; the others come back as unknown. "
            f"More photos per person raise that share.")


def suggest(people: int, crowding: float = 0.0, target: float = 0.01) -> float:
    """The largest threshold (to 0.005) at which about `target` of strangers are accepted
    with `people` enrolled: fewer people allow a looser threshold."""
    grid = np.arange(0.60, 1.2001, 0.005)
    ok = [t for t in grid if strangers_accepted(t, people, crowding) <= target]
    return round(float(ok[-1]), 3) if ok else 0.6

"""bench_tracks' scoring: each cached track replayed through the product's recognizer under
every rule (bench_tracks_rules.RULES), and the per-track figures summed per split."""
from __future__ import annotations

import numpy as np

from app.config import Config
from app.faces.view import GalleryView
from app.recognition.index import PersonIndex
from app.recognition.match import Crowding
from app.stream.tracker import iou
from app.stream.wiring import live_matches
from scripts.bench_tracks_rules import RULES, Replay
from scripts.bench_tracks_video import CYCLES_PER_SECOND, Video


def gallery_view(clean, without: set) -> GalleryView:
    """The dev gallery but the people `without` as the product decides with it: person id =
    1 + row of `clean.gallery`, one clean photo each, the configured threshold and crowding."""
    kept = [(i + 1, key) for i, key in enumerate(clean.gallery) if key[0] not in without]
    rows = np.array([clean.row(key) for _, key in kept])
    vectors = clean.frames.embeddings[rows, clean.central[rows]]
    ids = np.array([i for i, _ in kept])
    index = PersonIndex(crowding=Crowding(weight=Config.IDENTIFY_CROWDING))
    index.load(ids, vectors, np.arange(len(ids)))
    index.typical = index.compute_typical_crowding()
    names = {int(i): key[0] for i, key in kept}
    return GalleryView(index, names, "facenet-keras-v1", Config.IDENTIFY_THRESHOLD)


def replay(recognizer: Replay, video: Video, t: int) -> list[tuple]:
    """Track t through `recognizer`, frame by frame: per frame (person id, confirmed) of the
    track holding the true face, or None when no track holds it."""
    states = []
    for i in range(video.truth.shape[1]):
        now = i / CYCLES_PER_SECOND
        recognizer.process(i, now)
        live = [tr for tr in recognizer.tracker.tracks if tr.last_seen == now]
        overlap = iou(np.stack([tr.box for tr in live]), video.truth[t, i][None])[:, 0] if live else []
        best = int(np.argmax(overlap)) if len(overlap) else None
        held = live[best] if best is not None and overlap[best] >= 0.3 else None
        states.append(None if held is None else (held.person_id, held.confirmed))
    return states


def outcome(states: list, truth: int | None) -> dict:
    """One track's figures from its per-frame states (replay) and its true person id."""
    shown = [s for s in states if s is not None]
    wrong = [s for s in shown if s[0] is not None and s[0] != truth]
    right_at = next((i for i, s in enumerate(states) if s is not None and s[0] == truth), None)
    return {"named_right": bool(truth is not None and shown and shown[-1][0] == truth),
            "wrong": bool(wrong), "wrong_confirmed": any(c for _, c in wrong),
            "first_name_s": None if truth is None or right_at is None else right_at / CYCLES_PER_SECOND}


def score_rules(view: GalleryView, video: Video, truth: list) -> dict:
    """rule name -> figures of the tracks of `video` (truth: each track's person id or None)."""
    out = {}
    for name, (recognizer_type, tracker_type, margin) in RULES.items():
        lookup = lambda e, c, margin=margin: live_matches(view, e, c, margin)  # noqa: E731
        tracks = [outcome(replay(recognizer_type(lookup, video, t, tracker_type()), video, t), truth[t])
                  for t in range(len(truth))]
        out[name] = figures(tracks, truth)
    return out


def figures(tracks: list[dict], truth: list) -> dict:
    enrolled = [o for o, p in zip(tracks, truth) if p is not None]
    firsts = [o["first_name_s"] for o in enrolled if o["first_name_s"] is not None]
    return {"tracks": len(tracks), "enrolled": len(enrolled),
            "named_right": 100.0 * np.mean([o["named_right"] for o in enrolled]),
            "wrong_per_1000": 1000.0 * np.mean([o["wrong"] for o in tracks]),
            "wrong_confirmed_per_1000": 1000.0 * np.mean([o["wrong_confirmed"] for o in tracks]),
            "strangers_named": 100.0 * np.mean([o["wrong"] for o, p in zip(tracks, truth) if p is None]),
            "first_name_s": float(np.mean(firsts)) if firsts else None}


def summary(results: list[dict]) -> dict:
    """rule -> scenario (and "all") -> each figure pooled over the splits (weighted by
    tracks), with its [min, max] over the splits."""
    out: dict = {}
    for rule in dict.fromkeys(r["rule"] for r in results):
        mine = [r for r in results if r["rule"] == rule]
        scenarios = list(dict.fromkeys(r["scenario"] for r in mine))
        out[rule] = {sc: pooled([r for r in mine if r["scenario"] == sc]) for sc in scenarios}
        out[rule]["all"] = pooled(mine)
    return out


def pooled(rows: list[dict]) -> dict:
    """Figures pooled over rows (split x scenario), and per split their [min, max]."""
    out = {"tracks": sum(r["tracks"] for r in rows)}
    splits = sorted({r["split"] for r in rows})
    for key, weight in (("named_right", "enrolled"), ("wrong_per_1000", "tracks"),
                        ("wrong_confirmed_per_1000", "tracks"), ("first_name_s", "enrolled")):
        per_split = []
        for s in splits:
            got = [(r[key], r[weight]) for r in rows if r["split"] == s and r[key] is not None]
            if got:
                per_split.append(np.average([g for g, _ in got], weights=[w for _, w in got]))
        got = [(r[key], r[weight]) for r in rows if r[key] is not None]
        out[key] = round(float(np.average([g for g, _ in got], weights=[w for _, w in got])), 2) if got else None
        out[key + "_splits"] = [round(float(min(per_split)), 2), round(float(max(per_split)), 2)] if per_split else None
    return out

"""bench_conditions' figures: one condition's frames scored through the pipeline and the API
path, verify and identify, with 95 % bootstrap intervals; the plot."""
from __future__ import annotations

import numpy as np

from app.config import Config
from app.evaluation import metrics
from app.evaluation.degrade import FRAME, Condition
from app.evaluation.pairs import Pair
from app.recognition.match import Crowding
from scripts.reference_gallery import Gallery
from scripts.bench_conditions_data import Clean, Frames, condition_jpeg
from scripts.bench_conditions_rules import Rules, current_rules

LFW_SHAPE = (250, 250)  # (H, W) of every LFW photo
FAR = 2.0  # the distance a pair with no face in the frame gets: never "the same person"
BOOT = 1000


def picks(frames: Frames, how: str, rules: Rules, shape=LFW_SHAPE) -> np.ndarray:
    """(N,) index of the face each path takes in each frame, -1 for none.
    pipeline: the face at the place the photo was put; api: the product's main face."""
    n = len(frames.scores)
    out = np.full(n, -1)
    for i in range(n):
        found = np.flatnonzero(~np.isnan(frames.scores[i]))
        if not len(found):
            continue
        if how == "api":
            out[i] = rules.main_face(frames.boxes[i, found], frames.scores[i, found], shape)
            out[i] = found[out[i]]
        else:
            overlap = [iou(frames.boxes[i, j], frames.truth[i]) for j in found]
            if max(overlap) >= 0.3:
                out[i] = found[int(np.argmax(overlap))]
    return out


def iou(a: np.ndarray, b: np.ndarray) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def qualities(frames: Frames, pick: np.ndarray) -> dict[str, np.ndarray]:
    """Per frame of the chosen face: px (box's shorter side), sharpness, greyscale (bool)."""
    rows = np.arange(len(pick))
    j = np.maximum(pick, 0)
    box = frames.boxes[rows, j]
    return {"px": np.minimum(box[:, 2] - box[:, 0], box[:, 3] - box[:, 1]),
            "sharpness": frames.sharpness[rows, j], "spread": frames.spread[rows, j]}


def chosen(frames: Frames, pick: np.ndarray, grey: np.ndarray | None = None) -> np.ndarray:
    """(N, 128) embedding of each frame's chosen face (from `grey`, e.g. frames.verify_embeddings,
    (N, K, 128) if given)."""
    source = frames.embeddings if grey is None else grey
    return source[np.arange(len(pick)), np.maximum(pick, 0)]


def first_faces(pairs, clean: Clean, how: str, rules: Rules, grey: np.ndarray):
    """(N, 128) the first photo's face each path compares with, colour or grey as the
    rules ask for that pair; (N,) whether the first photo had one."""
    rows = np.array([clean.row(p.first) for p in pairs])
    pick = clean.central[rows] if how == "pipeline" else picks(clean.frames, how, rules)[rows]
    sub = Frames(**{k: v[rows] for k, v in clean.frames.__dict__.items()})
    colour = chosen(sub, pick, sub.verify_embeddings if rules.bicubic else None)
    greyed = chosen(sub, pick, clean.grey[rows])
    return np.where(grey[:, None] & rules.grey_verify, greyed, colour), pick >= 0


def verify_scores(pairs, clean: Clean, frames: Frames, pick: np.ndarray, how: str, rules: Rules,
                  jpeg: int | None = None):
    """(N,) distances (FAR when no face) and (N,) decisions 'same person' of the rules
    (jpeg: the frames' JPEG quality, condition_jpeg)."""
    q = qualities(frames, pick)
    grey = rules.greyscale(q["spread"])
    ref, has_first = first_faces(pairs, clean, how, rules, grey)
    d = np.linalg.norm(ref - chosen(frames, pick, frames.verify_embeddings if rules.bicubic else None), axis=1)
    ok = (pick >= 0) & has_first
    d = np.where(ok, d, FAR)
    same = rules.verify_same(d, q["px"], q["sharpness"], grey, jpeg) & ok
    return d, same


def identify_scores(pairs: list[Pair], clean: Clean, frames: Frames, pick: np.ndarray,
                    rules: Rules) -> dict:
    """Named right (genuine probes: the person is enrolled from another photo) and strangers
    named (every probe, its own person taken out of the gallery)."""
    names = [k[0] for k in clean.gallery]
    rows = [clean.row(k) for k in clean.gallery]
    q = qualities(frames, pick)
    grey = rules.greyscale(q["spread"])
    emb = chosen(frames, pick)
    crowd = Crowding(weight=Config.IDENTIFY_CROWDING)
    at = (np.array(rows), clean.central[rows])
    colour = Gallery(clean.frames.embeddings[at], names, crowd)
    grey_g = Gallery(clean.grey[at], names, crowd)
    col = {n: i for i, n in enumerate(names)}
    genuine, right, stranger_named = [], [], []
    for i, pair in enumerate(pairs):
        if pick[i] < 0:
            genuine.append(pair.second[0] in col and pair.second[1] != 1)
            right.append(False), stranger_named.append(False)
            continue
        g = grey_g if grey[i] and rules.grey_gallery else colour
        d = g.person_distances(emb[i][None])
        own = col.get(pair.second[0])
        genuine.append(own is not None and pair.second[1] != 1)
        right.append(genuine[-1] and rules.named(g, d, q, grey, i) == own)
        if own is not None:
            d[0, own] = FAR
        stranger_named.append(rules.named(g, d, q, grey, i) is not None)
    genuine, right = np.array(genuine), np.array(right)
    return {"named_right": share(right[genuine]), "strangers_named": share(np.array(stranger_named)),
            "genuine_probes": int(genuine.sum()), "stranger_probes": len(pairs)}


def share(hits: np.ndarray, seed: int = 0) -> dict:
    """A share with its 95 % bootstrap interval."""
    hits = np.asarray(hits, float)
    rng = np.random.default_rng(seed)
    boot = hits[rng.integers(0, len(hits), (BOOT, len(hits)))].mean(1)
    return {"value": round(float(hits.mean()), 4),
            "ci95": [round(float(np.percentile(boot, 2.5)), 4), round(float(np.percentile(boot, 97.5)), 4)]}


def score_path(pairs, clean, frames, how: str, rules: Rules, shape, jpeg: int | None) -> dict:
    pick = picks(frames, how, rules, shape)
    truth = np.array([p.same for p in pairs])
    on_face = np.array([pick[i] >= 0 and iou(frames.boxes[i, pick[i]], frames.truth[i]) >= 0.3
                        for i in range(len(pick))])
    d, same = verify_scores(pairs, clean, frames, pick, how, rules, jpeg)
    _, best = metrics.best_threshold(d, truth)
    return {"faces_found": round(float((pick >= 0).mean()), 4),
            "right_face": round(float(on_face.mean()), 4),
            "verify_accuracy": share(same == truth),
            "tar_at_far_0.01": round(metrics.tar_at_far(d, truth, 0.01), 4),
            "best_threshold_accuracy": round(best, 4),
            "identify": identify_scores(pairs, clean, frames, pick, rules)}


def score_condition(pairs, clean, frames, condition: Condition, rules: Rules | None = None) -> dict:
    """Both paths' figures for one condition's frames (`rules`: the product's by default)."""
    rules = rules or current_rules()
    shape = LFW_SHAPE if condition.face_px is None else FRAME
    jpeg = condition_jpeg(condition)
    return {how: score_path(pairs, clean, frames, how, rules, shape, jpeg) for how in ("pipeline", "api")}


def plot(report: dict, path) -> None:
    """Accuracy of /api/verify's decisions against face size, one line per kind of condition."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.5, 4.5), dpi=110)
    kinds: dict[str, list] = {}
    for name, c in report["conditions"].items():
        if c["face_px"] is None:
            continue
        kind = name.rstrip("0123456789")
        kinds.setdefault(kind, []).append((c["face_px"], c["api"]["verify_accuracy"]["value"]))
    for kind, points in kinds.items():
        xs, ys = zip(*sorted(points))
        ax.plot(xs, np.array(ys) * 100, "o-", label=kind)
    if "clean" in report["conditions"]:
        ax.axhline(report["conditions"]["clean"]["api"]["verify_accuracy"]["value"] * 100,
                   color="grey", ls=":", label="clean photo")
    ax.axhline(97.5, color="red", lw=0.8, ls="--", label="target 97.5 %")
    ax.set_xlabel("face width in a 640x480 frame (px)")
    ax.set_ylabel("/api/verify decisions right (%)")
    ax.set_title(f"{report['pairs']} LFW dev pairs, one photo as a camera frame", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def identify_raw(pairs, clean: Clean, frames: Frames, pick: np.ndarray, rules: Rules) -> dict:
    """Per probe: the decision score (nearest distance minus crowding's offset) when the
    nearest is the probe's own person (inf otherwise or not enrolled), and with its own
    person out of the gallery (the probe as a stranger); inf for no face."""
    names = [k[0] for k in clean.gallery]
    rows = np.array([clean.row(k) for k in clean.gallery])
    at = (rows, clean.central[rows])
    crowd = Crowding(weight=Config.IDENTIFY_CROWDING)
    galleries = {False: Gallery(clean.frames.embeddings[at], names, crowd),
                 True: Gallery(clean.grey[at], names, crowd)}
    col = {n: i for i, n in enumerate(names)}
    grey = rules.greyscale(qualities(frames, pick)["spread"]) & rules.grey_gallery
    emb = chosen(frames, pick)
    genuine, stranger = np.full(len(pairs), np.inf), np.full(len(pairs), np.inf)
    for i, pair in enumerate(pairs):
        if pick[i] < 0:
            continue
        g = galleries[bool(grey[i])]
        d = g.person_distances(emb[i][None])
        own = col.get(pair.second[0]) if pair.second[1] != 1 else None
        if own is not None and int(np.argmin(d[0])) == own:
            genuine[i] = d[0, own] - g.threshold_offsets(d)[0]
        if pair.second[0] in col:
            d[0, col[pair.second[0]]] = FAR
        stranger[i] = d[0].min() - g.threshold_offsets(d)[0]
    return {"genuine": genuine, "stranger": stranger,
            "enrolled": np.array([p.second[0] in col and p.second[1] != 1 for p in pairs])}


def pooled(pairs, clean: Clean, frames: dict, rules: Rules) -> tuple[dict, dict]:
    """Every cached condition's API-path pairs and probes in one table each: verify rows
    (d, same, px, grey, sharpness, jpeg (0: not a JPEG), person) and identify rows (genuine, stranger, px, grey,
    sharpness, person, enrolled)."""
    rows: dict[str, list] = {}
    ident: dict[str, list] = {}
    for condition, f in frames.values():
        shape = LFW_SHAPE if condition.face_px is None else FRAME
        pick = picks(f, "api", rules, shape)
        q = qualities(f, pick)
        grey = rules.greyscale(q["spread"])
        jpeg = condition_jpeg(condition)
        d, _ = verify_scores(pairs, clean, f, pick, "api", rules, jpeg)
        common = {"px": q["px"], "grey": grey.astype(int), "sharpness": q["sharpness"], "jpeg": [jpeg or 0] * len(pairs),
                  "person": [p.second[0] for p in pairs], "found": pick >= 0,
                  "condition": [condition.name] * len(pairs)}
        for key, value in {**common, "d": d, "same": np.array([p.same for p in pairs])}.items():
            rows.setdefault(key, []).extend(list(value))
        for key, value in {**common, **identify_raw(pairs, clean, f, pick, rules)}.items():
            ident.setdefault(key, []).extend(list(value))
    return ({k: np.array(v) for k, v in rows.items()}, {k: np.array(v) for k, v in ident.items()})

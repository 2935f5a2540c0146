"""`python -m train --data DIR ...`: fine-tune the encoder; `python -m train --digits`: the
from-scratch check. `python -m train --help` lists every option (docs/TRAINING.md explains)."""
from __future__ import annotations

import argparse
import datetime
import json
import logging
from dataclasses import fields
from pathlib import Path

import numpy as np

from .settings import Settings
from .losses import STRATEGIES

log = logging.getLogger("train")
ROOT = Path(__file__).resolve().parent.parent


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m train", description=__doc__)
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--data", type=Path, help="folder with one sub-folder of photos per person")
    what.add_argument("--digits", action="store_true", help="from-scratch run on sklearn digits")
    parser.add_argument("--from-library", metavar="DATABASE",
                        help="the app's database (instance/faces.db, or a SQLAlchemy URL): every "
                        "person with 2+ faces (uploads, named groups, camera faces) is trained on, "
                        "beside --data's people or alone, and the \"not this person\" corrections "
                        "are hard negatives")
    parser.add_argument("--people", type=int, default=0,
                        help="--data: a seeded sample of this many people (0: all)")
    parser.add_argument("--max-photos", type=int, default=0,
                        help="--data: at most this many photos a person (0: all)")
    parser.add_argument("--base", default="facenet-keras-v1", help="model folder to start from")
    parser.add_argument("--name", help="new model folder name (default <base>-ft-<time>); "
                        "with the same name and options an interrupted run resumes")
    parser.add_argument("--models-dir", type=Path, default=ROOT / "instance" / "models")
    parser.add_argument("--cache", type=Path, default=ROOT / "instance" / "train-cache",
                        help="aligned crops and trunk outputs, reused across runs")
    parser.add_argument("--out", type=Path, help="report + checkpoint folder "
                        "(default instance/train-runs/<name>)")
    parser.add_argument("--min-photos", type=int, default=2,
                        help="leave out people with fewer photos")
    parser.add_argument("--val-pairs", type=Path,
                        help="LFW-style pairs file: its people are the validation people and "
                        "its pairs the validation pairs (instead of --val-fraction)")
    parser.add_argument("--hard-negatives", metavar="DATABASE",
                        help="the app's database (instance/faces.db, or a SQLAlchemy URL): its "
                        "\"not this person\" corrections join the batches as hard negatives")
    parser.add_argument("--test-fraction", type=float, default=0.0,
                        help="share of people held out for the report only (0: report on "
                        "the validation people, who also chose the epoch)")
    for f in fields(Settings):
        flag = "--" + f.name.replace("_", "-")
        kwargs = {"type": type(f.default), "default": f.default, "help": f.metadata["help"]}
        if f.name == "mode":
            kwargs["choices"] = ["head", "unfreeze"]
        if f.name == "strategy":
            kwargs["choices"] = STRATEGIES
        if f.name == "augment":
            kwargs["choices"] = ["light", "camera"]
        parser.add_argument(flag, **kwargs)
    args = parser.parse_args(argv)
    if not (args.digits or args.data or args.from_library):
        parser.error("give --data DIR, --from-library DATABASE (or both), or --digits")
    return args


def assign_roles(labels: np.ndarray, val_fraction: float, test_fraction: float, seed: int,
                 val: np.ndarray | None = None) -> np.ndarray:
    """(N,) "train" / "val" / "test" by person, seeded. `val`: (N,) bool, the validation
    photos when they are given (by a pairs file) rather than drawn."""
    from .data import split_people

    roles = np.full(len(labels), "train", dtype=object)
    if val is not None:
        roles[val] = "val"
    if test_fraction > 0:
        free = np.flatnonzero(roles == "train")
        roles[free[split_people(labels[free], test_fraction, seed + 100)]] = "test"
    if val is None:
        rest = np.flatnonzero(roles == "train")
        roles[rest[split_people(labels[rest], val_fraction / (1.0 - test_fraction), seed)]] = "val"
    return roles


def pairs_from_file(path: Path, photo_paths: list[str], labels: np.ndarray,
                    people: list[str]) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Validation from an LFW pairs file (photos `name/name_000i.jpg`).

    Returns ((N,) bool, photos of the people the file names; (pairs (M, 2) indices into
    `photo_paths`, same (M,) bool)). Pairs with a photo that gave no face (or was left out
    by --min-photos) are dropped and counted in the log.
    """
    from app.evaluation.pairs import read_pairs

    parsed = read_pairs(path).pairs
    index = {p: i for i, p in enumerate(photo_paths)}
    key = lambda name, number: f"{name}/{name}_{number:04d}.jpg"
    kept = [(index[key(*p.first)], index[key(*p.second)], p.same) for p in parsed
            if key(*p.first) in index and key(*p.second) in index]
    if len(kept) < len(parsed):
        log.warning("%d of %d pairs in %s dropped: a photo gave no face or was left out",
                    len(parsed) - len(kept), len(parsed), path)
    named = {name for p in parsed for name in (p.first[0], p.second[0])}
    val = np.isin(labels, [i for i, name in enumerate(people) if name in named])
    pairs = np.array([(a, b) for a, b, _ in kept], np.int64).reshape(-1, 2)
    return val, (pairs, np.array([same for _, _, same in kept], bool))


def run_faces(args: argparse.Namespace) -> dict:
    import keras

    import app.recognition.convert.facenet_h5  # noqa: F401  registers ScaleSum for load_model
    from app.recognition import FacePipeline
    from app.recognition.weights import verify_model_dir

    from .finetune import fine_tune
    from .report import write_report

    settings = Settings(**{f.name: getattr(args, f.name) for f in fields(Settings)})
    name, out, model_dir = run_paths(args)
    base_dir = args.models_dir / args.base
    base_meta = verify_model_dir(base_dir)
    faces, negatives, added = training_faces(args, FacePipeline(base_dir))
    val, val_pairs = None, None
    if args.val_pairs:
        val, val_pairs = pairs_from_file(args.val_pairs, faces.paths, faces.labels, faces.people)
    roles = assign_roles(faces.labels, settings.val_fraction, args.test_fraction, settings.seed, val)
    for idx in negatives.values():
        roles[idx] = "train"  # a hard negative is only ever a negative, in training
    if added:
        log.info("%d hard negatives from %s", added, args.hard_negatives or args.from_library)
    log.info("%d photos of %d people: %s", len(faces.labels), len(faces.people),
             {r: int(np.sum(roles == r)) for r in ("train", "val", "test")})
    model = keras.models.load_model(base_dir / "encoder.keras")
    trunk_cache = args.cache / "trunk" / f"{faces.fingerprint[:16]}-{base_meta['files']['encoder.keras'][:16]}"
    result = fine_tune(model, faces.crops, faces.labels, roles, settings, out / "checkpoint",
                       trunk_cache, val_pairs, negatives)
    data = data_summary(args, faces)
    report = write_report(out / "report", result, faces.labels, roles, faces.people,
                          {"model": name, "base": args.base, "settings": settings.__dict__,
                           "data": data, "no_face": faces.no_face}, settings.seed, val_pairs)
    if settings.augment == "camera":
        report["conditions"] = camera_report(result, base_dir, faces, roles, settings,
                                             trunk_cache / settings.cut)
    save_model(model, model_dir, args.base, base_meta, data, settings, report)
    report["app_int8"] = app_metrics(faces, roles, settings.seed, val_pairs,
                                     {"before": base_dir, "after": model_dir})
    (out / "report" / "metrics.json").write_text(json.dumps(report, indent=2))
    log_summary(report)
    log.info("model: %s   report: %s", model_dir, out / "report")
    return report


def training_faces(args: argparse.Namespace, pipeline):
    """(FaceSet of --data's photos and/or the library's faces, person label -> indices of
    their hard negatives, how many negatives were added)."""
    from .corrections import load_library, merge_faces, with_hard_negatives
    from .data import load_faces

    faces = None
    if args.data:
        faces = load_faces(args.data, args.cache / "crops", pipeline, args.min_photos,
                           people=args.people, max_photos=args.max_photos, seed=args.seed)
    if args.from_library:
        library = load_library(args.from_library)
        log.info("the library: %d faces of %d people", len(library.labels), len(library.people))
        faces = merge_faces(faces, library)
    negatives_from = args.hard_negatives or args.from_library
    return with_hard_negatives(faces, negatives_from) if negatives_from else (faces, {}, 0)


def camera_report(result: dict, base_dir: Path, faces, roles: np.ndarray, settings: Settings,
                  cache: Path) -> dict:
    """Held-out people per camera condition, pretrained vs fine-tuned (train/conditions.py)."""
    import keras

    from .conditions import condition_report, log_table
    from .finetune import split_model

    _, before = split_model(keras.models.load_model(base_dir / "encoder.keras"), settings.cut)
    report = condition_report(result["trunk"], {"before": before, "after": result["head"]},
                              {"before": result["embeddings_before"], "after": result["embeddings_after"]},
                              faces.crops, faces.labels, roles, settings.seed, cache)
    log_table(report)
    return report


def run_paths(args: argparse.Namespace) -> tuple[str, Path, Path]:
    """(the new model's name, the report + checkpoint folder, the new model folder); exits
    when the model folder exists or is the report folder."""
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d-%H%M%S")
    name = args.name or f"{args.base}-ft-{stamp}"
    out = args.out or ROOT / "instance" / "train-runs" / name
    model_dir = args.models_dir / name
    if model_dir.exists():
        raise SystemExit(f"{model_dir} exists already; choose another --name")
    if out.resolve() == model_dir.resolve():
        raise SystemExit("--out must not be the new model folder; choose another --out")
    return name, out, model_dir


def data_summary(args: argparse.Namespace, faces) -> dict:
    """What the run was trained on, for the report and model.json."""
    return {"dir": str(args.data.resolve()) if args.data else None,
            "library": bool(args.from_library), "fingerprint": faces.fingerprint,
            "photos": len(faces.paths), "people": len(faces.people), "min_photos": args.min_photos,
            "people_sample": args.people, "max_photos": args.max_photos,
            "test_fraction": args.test_fraction,
            "val_pairs": str(args.val_pairs) if args.val_pairs else None}


def save_model(model, model_dir: Path, base: str, base_meta: dict, data: dict,
               settings: Settings, report: dict) -> None:
    """The trained encoder as a model folder, its model.json naming its base, data,
    settings and held-out figures."""
    from .export import save_model_folder

    keep = ("held_out", "held_out_people", "pairs", "before", "after", "epochs_run",
            "seconds_per_epoch", "trunk_seconds")
    save_model_folder(model, model_dir, {
        "base": base, "base_sha256": base_meta["files"]["encoder.keras"],
        "data": data, "settings": settings.__dict__,
        "metrics": {k: report[k] for k in keep + ("conditions",) if k in report}})


def app_metrics(faces, roles: np.ndarray, seed: int, val_pairs, folders: dict[str, Path]) -> dict:
    """Held-out verification with what the app runs, the int8 LiteRT encoder of each
    model folder ({"before": base, "after": new})."""
    from app.recognition import FaceEncoder

    from .report import held_out_verification

    return {when: held_out_verification(FaceEncoder(folder).embed(faces.crops), faces.labels,
                                        roles, seed, val_pairs)[0]
            for when, folder in folders.items()}


def log_summary(report: dict) -> None:
    for when in ("before", "after"):
        m, app = report[when], report["app_int8"][when]
        log.info("%s: %s accuracy %.2f%% at threshold %.3f, TAR@FAR0.1%% %.2f%%, AUC %.4f, "
                 "SVM %s; int8 app encoder: accuracy %.2f%%, TAR@FAR0.1%% %.2f%%", when,
                 report["held_out"], 100 * m["accuracy"], m["threshold"],
                 100 * m["tar_at_far_0.001"], m["auc"], m["svm_accuracy"],
                 100 * app["accuracy"], 100 * app["tar_at_far_0.001"])


def run_digits(args: argparse.Namespace) -> dict:
    from .digits import run_digits as digits
    from .report import plot_curves

    steps = args.steps or 300
    result = digits(steps=steps, strategy=args.strategy, margin=args.margin, p=10, k=8,
                    seed=args.seed)
    out = args.out or ROOT / "instance" / "train-runs" / "digits"
    out.mkdir(parents=True, exist_ok=True)
    plot_curves({"loss": result["losses"], "active": result["active"], "epochs": []},
                out / "curves.png")
    summary = {k: v for k, v in result.items() if k not in ("losses", "active")}
    (out / "metrics.json").write_text(json.dumps(summary, indent=2))
    log.info("digits: 1-NN accuracy %.2f%% (raw pixels %.2f%%), %.1f s; report %s",
             100 * result["accuracy"], 100 * result["pixels_accuracy"], result["seconds"], out)
    return result


def main(argv=None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    run_digits(args) if args.digits else run_faces(args)


if __name__ == "__main__":
    main()

"""Resumable fine-tuning: the head's weights, the optimizer's variables and the history,
saved after every epoch; and the best epoch's head, kept apart."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

from app.recognition.atomic import atomic_replace

from .settings import Settings

log = logging.getLogger(__name__)


def score(result: dict) -> float:
    """What early stopping follows: validation accuracy, or with camera views the mean of
    the clean and the camera accuracy (finetune.with_camera_score)."""
    return result.get("score", result["accuracy"])


@dataclass
class Checkpoint:
    """Resumable state in `folder`: head weights, optimizer variables, history."""

    folder: Path
    history: dict = field(default_factory=lambda: {"loss": [], "active": [], "pos_dist": [],
                                                   "neg_dist": [], "epochs": []})
    epoch: int = 0
    best: float = -1.0
    stale: int = 0

    def save(self, head, optimizer, settings: Settings) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        head.save_weights(self.folder / "head.weights.h5")
        np.savez(self.folder / "optimizer.npz",
                 *[keras.ops.convert_to_numpy(v) for v in optimizer.variables])
        state = {"settings": settings.__dict__, "epoch": self.epoch, "best": self.best,
                 "stale": self.stale, "history": self.history}
        with atomic_replace(self.folder / "state.json", folder=False) as partial:
            partial.write_text(json.dumps(state))

    def restore(self, head, optimizer, settings: Settings) -> bool:
        state_file = self.folder / "state.json"
        if not state_file.exists():
            return False
        state = json.loads(state_file.read_text())
        if state["settings"] != settings.__dict__:
            raise ValueError(f"the checkpoint in {self.folder} was made with other settings; "
                             "use another --out folder or the same options")
        head.load_weights(self.folder / "head.weights.h5")
        optimizer.build(head.trainable_variables)
        saved = np.load(self.folder / "optimizer.npz")
        for i, v in enumerate(optimizer.variables):
            v.assign(saved[f"arr_{i}"])
        self.epoch, self.best, self.stale = state["epoch"], state["best"], state["stale"]
        self.history = state["history"]
        log.info("resumed from %s after epoch %d", self.folder, self.epoch)
        return True

    @property
    def best_weights(self) -> Path:
        """The head weights of the best epoch so far (or the pretrained head's)."""
        return self.folder / "best.weights.h5"

    def start(self, head, optimizer, settings: Settings, baseline: float) -> None:
        """Resume from the folder, or start afresh: the pretrained head, at validation
        accuracy `baseline`, is the one to beat; if no epoch does, it is what is kept."""
        if not self.restore(head, optimizer, settings):
            self.folder.mkdir(parents=True, exist_ok=True)
            head.save_weights(self.best_weights)
            self.best = baseline

    def end_epoch(self, result: dict, seconds: float, head, optimizer, settings: Settings) -> None:
        """Record an epoch's validation `result`, keep the head if it is the best so far,
        and save the resumable state."""
        self.epoch += 1
        self.history["epochs"].append({"epoch": self.epoch, "steps": len(self.history["loss"]),
                                       "seconds": seconds, **result})
        log.info("epoch %d: validation accuracy %.2f%% (threshold %.3f), AUC %.4f%s, %.1f s",
                 self.epoch, 100 * result["accuracy"], result["threshold"], result["auc"],
                 f", camera views {100 * result['camera']['accuracy']:.2f}%" if "camera" in result else "",
                 seconds)
        # Ties count as no progress: the earliest of equally good epochs moves least.
        if score(result) > self.best:
            self.best, self.stale = score(result), 0
            head.save_weights(self.best_weights)
        else:
            self.stale += 1
        self.save(head, optimizer, settings)

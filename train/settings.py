"""The settings of a fine-tuning run, apart from the code that runs it so that the
checkpoint (which stores them) and the trainer both import them without importing each other."""
from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_CUT = {"head": "AvgPool", "unfreeze": "Block8_5_Activation"}


def _opt(default, help_text: str):
    """A Settings field whose help text `python -m train --help` shows."""
    return field(default=default, metadata={"help": help_text})


@dataclass
class Settings:
    """Everything that decides a run's result (stored in the checkpoint and model.json)."""

    mode: str = _opt("head", "head: train on cached trunk outputs; unfreeze: run the "
                     "frozen trunk on freshly augmented crops each step")
    cut: str = _opt("", "last frozen layer (default AvgPool for head, Block8_5_Activation "
                    "for unfreeze)")
    strategy: str = _opt("semi-hard", "triplet mining inside each batch")
    margin: float = _opt(0.2, "triplet margin, squared L2 distance units")
    p: int = _opt(16, "people per batch")
    k: int = _opt(4, "photos per person in a batch")
    epochs: int = _opt(30, "most epochs to run")
    steps: int = _opt(0, "steps per epoch (0: about one pass over the training photos)")
    lr: float = _opt(1e-4, "peak learning rate of Adam; cosine decay to 0 over all steps")
    patience: int = _opt(5, "stop after this many epochs without better validation accuracy")
    views: int = _opt(4, "head mode: cached trunk outputs per photo (1 plain + augmented)")
    augment: str = _opt("light", "light: flip, small crop, colour jitter; camera: also the face "
                        "shrunk to 16-90 px, night/IR, motion blur, JPEG (train/camera.py)")
    val_fraction: float = _opt(0.2, "share of people held out for validation (early stopping)")
    seed: int = _opt(0, "seeds the split, batches, augmentation and initialisation")

    def __post_init__(self):
        self.cut = self.cut or DEFAULT_CUT[self.mode]

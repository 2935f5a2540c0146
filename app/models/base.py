"""What every model module shares: how embeddings are stored, UTC times, name keys."""
from __future__ import annotations

from datetime import datetime, timezone

import numpy as np


EMBEDDING_DTYPE = np.dtype("<f4")


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def name_key(name: str) -> str:
    """The case-insensitive form under which names are unique."""
    return " ".join(name.split()).casefold()

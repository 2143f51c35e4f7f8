"""The one deterministic draw curate makes: a string key's position in [0, 1), from its sha256.
Splits, assignments, blind and control documents, the dev share and the learning curve's
samples all draw with it, so every machine and every run draws the same."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np


def unit(*parts: str) -> float:
    """The position of the parts joined by NUL: the first 8 bytes of the sha256, over 2**64."""
    digest = hashlib.sha256("\0".join(parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def units(keys: Sequence[str], salt: str) -> np.ndarray:
    """unit(key, salt) of many keys, as an array."""
    return np.fromiter((unit(key, salt) for key in keys), np.float64, len(keys))

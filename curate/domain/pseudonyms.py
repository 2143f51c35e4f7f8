"""Annotator pseudonyms: the names releases, reports, the API and the reviewer show unless real
names are asked for. One salt per project, made once and kept in .curate/ (git-ignored, 0600)."""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path

SALT_FILE = "release-salt"


def pseudonym(name: str, salt: str) -> str:
    """Stable within a project (same salt), not reversible without the salt."""
    return "annotator_" + hashlib.sha256(f"{salt}\0{name}".encode()).hexdigest()[:12]


def project_salt(root: Path) -> str:
    path = root / ".curate" / SALT_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(16))
    return path.read_text(encoding="utf-8").strip()


def namer(root: Path, real_names: bool) -> Callable[[str], str]:
    """How a project shows annotator names: as they are, or as its pseudonyms."""
    if real_names:
        return str
    salt = project_salt(root)
    return lambda name: pseudonym(name, salt)

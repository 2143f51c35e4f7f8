"""Run one benchmark side in a fresh Python process: what it returned, and its peak memory."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any


def in_child(module: str, call: str) -> tuple[Any, float]:
    """(what `module.call` returned, peak resident MB); module is a file in bench/, call a
    Python expression on it, e.g. "run_curate(Path('/tmp/x'))"."""
    code = (
        "import sys, json, resource as r; from pathlib import Path; sys.path.insert(0, 'bench'); "
        f"import {module} as b; out = b.{call}; "
        "print(json.dumps([out, r.getrusage(r.RUSAGE_SELF).ru_maxrss]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, check=True
    )
    out, peak = json.loads(done.stdout.strip().splitlines()[-1])
    return out, peak / 1024

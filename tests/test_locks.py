"""What is installed is what the locks say: both virtualenvs `make test` builds hold exactly the
locked distributions at the locked versions, `pip check` finds them consistent, and the lint
check catches a pyproject.toml that the locks no longer match."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
LABEL_STUDIO = ROOT / ".venv-labelstudio" / "bin" / "python"
# A virtualenv's own installer (from `python -m venv`) and curate itself are not in a lock.
NOT_LOCKED = {"pip", "curate"}
INSTALLED = """
import importlib.metadata as m, json
print(json.dumps({d.metadata["Name"]: d.version for d in m.distributions()}))
"""


def check_locks() -> ModuleType:
    """scripts/check_locks.py, the check `make lint` runs (a script, not part of curate)."""
    if "check_locks" not in sys.modules:
        script = ROOT / "scripts" / "check_locks.py"
        spec = importlib.util.spec_from_file_location("check_locks", script)
        assert spec and spec.loader
        sys.modules["check_locks"] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules["check_locks"])
    return sys.modules["check_locks"]


def installed(python: Path) -> dict[str, str]:
    from packaging.utils import canonicalize_name

    done = subprocess.run(
        [str(python), "-c", INSTALLED], capture_output=True, text=True, check=True
    )
    found = {canonicalize_name(n): v for n, v in json.loads(done.stdout).items()}
    return {n: v for n, v in found.items() if n not in NOT_LOCKED}


@pytest.mark.parametrize(
    ("python", "lock"),
    [
        (Path(sys.executable), "requirements/dev.txt"),
        (LABEL_STUDIO, "curate/labelstudio/requirements.txt"),
    ],
    ids=["curate", "label-studio"],
)
def test_a_virtualenv_holds_exactly_its_lock(python: Path, lock: str) -> None:
    assert python.exists(), f"{python} is missing; run `make test`, which makes it"
    pins, _ = check_locks().read_lock(ROOT / lock)
    assert len(pins) > 50
    assert installed(python) == pins
    checked = subprocess.run([str(python), "-m", "pip", "check"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_locks_agree_with_pyproject_and_a_changed_range_is_caught(tmp_path: Path) -> None:
    module = check_locks()
    assert module.problems(ROOT) == []
    for name in ("pyproject.toml", "requirements", "curate/labelstudio/requirements.txt"):
        copy = tmp_path / name
        copy.parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, copy)
        else:
            shutil.copyfile(ROOT / name, copy)
    pyproject = tmp_path / "pyproject.toml"
    text = pyproject.read_text("utf-8")
    assert '"rich>=15.0.0,<16",' in text
    # A raised floor the locks do not meet, and a dependency the locks never resolved.
    pyproject.write_text(
        text.replace('"rich>=15.0.0,<16",', '"rich>=15.9,<16",\n    "tomli-w>=1",'), "utf-8"
    )
    found = module.problems(tmp_path)
    outside = "requirements/run.txt pins rich==15.0.0, outside rich<16,>=15.9 (pyproject.toml)"
    assert outside in found
    assert any(p.startswith("requirements/dev.txt does not pin tomli-w>=1") for p in found)
    # A dependency dropped from pyproject.toml leaves a stale pin.
    pyproject.write_text(text.replace('    "rich>=15.0.0,<16",\n', ""), "utf-8")
    found = module.problems(tmp_path)
    assert "requirements/run.txt pins rich for pyproject.toml, which no longer asks for it" in found

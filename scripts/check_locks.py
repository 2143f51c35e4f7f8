"""`make lint`: fail when a lock and what it was made from disagree.

Each lock must pin every requirement of its sources (pyproject.toml with its extras, the
requirements/*.in files) at a version inside the range asked for, name no other package as
asked for directly (a requirement removed from pyproject.toml leaves a stale pin), and the locks
of single extras must pin the same versions as dev.txt, the environment the tests run in.
`make lock` repairs every failure reported here."""

from __future__ import annotations

import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = "pyproject.toml"
CURATE_INPUTS = ("requirements/build.in", "requirements/spacy-model.in")
EXTRAS = ("postgres", "quality", "ray")


@dataclass(frozen=True)
class Lock:
    path: str
    extras: tuple[str, ...]  # pyproject.toml's extras it holds; () when it is not made from it
    inputs: tuple[str, ...]  # requirements/*.in files it is made from


LOCKS = (
    Lock("requirements/dev.txt", (*EXTRAS, "dev"), CURATE_INPUTS),
    Lock("requirements/run.txt", (), CURATE_INPUTS),
    *(Lock(f"requirements/{extra}.txt", (extra,), CURATE_INPUTS) for extra in EXTRAS),
    Lock("curate/labelstudio/requirements.txt", (), ("requirements/labelstudio.in",)),
    Lock("requirements/uv.txt", (), ("requirements/uv.in",)),
)
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


def read_lock(path: Path) -> tuple[dict[str, str], dict[str, set[str]]]:
    """{name: version} and {name: the sources that ask for it by name}."""
    pins: dict[str, str] = {}
    sources: dict[str, set[str]] = {}
    current = ""
    for line in path.read_text("utf-8").splitlines():
        match = PIN.match(line)
        if match:
            current = canonicalize_name(match.group(1))
            pins[current] = match.group(2)
            sources[current] = set()
            continue
        via = line.strip().removeprefix("#").strip().removeprefix("via").strip()
        if current and line.lstrip().startswith("#") and via:
            if via == "curate (pyproject.toml)":
                sources[current].add(PYPROJECT)
            elif via.startswith("-r "):
                sources[current].add(via.removeprefix("-r "))
    return pins, sources


def requirements_of(root: Path, lock: Lock) -> dict[str, list[Requirement]]:
    """{source: its requirements} for the sources the lock is made from."""
    found: dict[str, list[Requirement]] = {}
    if lock.inputs == CURATE_INPUTS:
        project = tomllib.loads((root / PYPROJECT).read_text("utf-8"))["project"]
        asked = list(project["dependencies"])
        for extra in lock.extras:
            asked += project["optional-dependencies"][extra]
        found[PYPROJECT] = [Requirement(text) for text in asked]
    for source in lock.inputs:
        lines = (root / source).read_text("utf-8").splitlines()
        found[source] = [Requirement(line) for line in lines if line and not line.startswith("#")]
    return found


def problems_of(root: Path, lock: Lock, tested: dict[str, str]) -> list[str]:
    path = root / lock.path
    if not path.is_file():
        return [f"{lock.path} is missing"]
    pins, sources = read_lock(path)
    problems = []
    for source, requirements in requirements_of(root, lock).items():
        asked = {canonicalize_name(r.name) for r in requirements}
        for requirement in requirements:
            name = canonicalize_name(requirement.name)
            if name not in pins:
                problems.append(f"{lock.path} does not pin {requirement} ({source} asks for it)")
            elif not requirement.specifier.contains(pins[name], prereleases=True):
                problems.append(
                    f"{lock.path} pins {name}=={pins[name]}, outside {requirement} ({source})"
                )
        stale = {name for name, by in sources.items() if source in by} - asked
        problems += [
            f"{lock.path} pins {name} for {source}, which no longer asks for it"
            for name in sorted(stale)
        ]
    if lock.inputs == CURATE_INPUTS:
        problems += [
            f"{lock.path} pins {name}=={version}, dev.txt (tested) {name}=={tested.get(name)}"
            for name, version in sorted(pins.items())
            if tested.get(name) != version
        ]
    return problems


def problems(root: Path = ROOT) -> list[str]:
    tested, _ = read_lock(root / LOCKS[0].path)
    return [problem for lock in LOCKS for problem in problems_of(root, lock, tested)]


def main() -> int:
    found = problems()
    for problem in found:
        sys.stderr.write(f"{problem}\n")
    if found:
        sys.stderr.write("the locks are out of date: run `make lock` and commit requirements/\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The `curate` command: parse, call the library, print with Rich, map errors to exit codes.
One module per command group; each registers its commands on `app` (curate.cli.common) when
imported, so the imports below are in the order `curate --help` lists the groups."""

from __future__ import annotations

# isort: off
from curate.cli.common import app
from curate.cli import data, suggestions, labelstudio, review, release  # noqa: F401
# isort: on

__all__ = ["app"]

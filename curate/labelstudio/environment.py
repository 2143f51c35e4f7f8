"""The one environment every Label Studio process gets, the server and each management command
(`reset_password`, `version`, migrations): no error reports to Label Studio's Sentry (they would
carry task text off the machine, and Label Studio's Sentry set-up breaks on sentry-sdk 3), no
analytics, no version check, and the data folder named.

Run as a script, it starts a management command in that environment with only the standard
library, so the Makefile can use it before curate is installed:
`python curate/labelstudio/environment.py DATA_DIR .venv-labelstudio/bin/label-studio version`."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

QUIET = {
    "SENTRY_DSN": "",
    "FRONTEND_SENTRY_DSN": "",
    "COLLECT_ANALYTICS": "false",
    "LATEST_VERSION_CHECK": "false",
}


def labelstudio_environment(
    data_dir: Path, extra: Mapping[str, str] | None = None, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """`base` (this process's environment by default) with the quiet settings and the data
    folder on top; `extra` (secrets for the server) last. Nothing here writes os.environ."""
    return (
        dict(os.environ if base is None else base)
        | QUIET
        | {"LABEL_STUDIO_BASE_DATA_DIR": str(Path(data_dir).resolve())}
        | dict(extra or {})
    )


def main(arguments: list[str]) -> int:
    if len(arguments) < 2:
        sys.stderr.write("usage: environment.py DATA_DIR LABEL_STUDIO_EXECUTABLE [ARGUMENT ...]\n")
        return 2
    data_dir, command = Path(arguments[0]), arguments[1:]
    return subprocess.run(command, env=labelstudio_environment(data_dir)).returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

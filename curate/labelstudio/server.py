"""Run a local Label Studio: its own virtualenv, data under .curate/labelstudio, loopback only
unless asked. The API token comes from LABEL_STUDIO_API_KEY, or from a git-ignored file of mode
0600 that `serve` writes when it has to make one up; it is never printed or logged."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from curate.errors import CurateError, UsageError
from curate.labelstudio.environment import labelstudio_environment

VERSION = "1.23.2"
# label-studio==VERSION and all it pulls in, hash-pinned (`make lock` writes it).
LOCK = Path(__file__).with_name("requirements.txt")
TOKEN_VARIABLE = "LABEL_STUDIO_API_KEY"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def data_dir_of(root: Path) -> Path:
    """Where the project's own Label Studio keeps its data (absolute: Label Studio resolves a
    relative one against folders of its own)."""
    return root.resolve() / ".curate" / "labelstudio"


@dataclass(frozen=True)
class Server:
    root: Path  # project folder
    host: str
    port: int
    admin_email: str
    venv: Path

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def data_dir(self) -> Path:
        return data_dir_of(self.root)

    @property
    def credentials_file(self) -> Path:
        return self.root / ".curate" / "labelstudio-credentials.json"

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "server.pid"

    @property
    def record_file(self) -> Path:
        """What `serve` started: pid, host, port and data folder (server.json)."""
        return self.data_dir / "server.json"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "server.log"

    @property
    def executable(self) -> Path:
        return self.venv / "bin" / "label-studio"


def install(server: Server, say: Callable[[str], None] = lambda _: None) -> None:
    """Install label-studio into its own virtualenv (it pins many Django packages), exactly
    the versions of the lock, hashes checked."""
    if server.executable.exists():
        return
    say(f"installing label-studio=={VERSION} into {server.venv} (a few minutes, once)")
    try:
        subprocess.run([sys.executable, "-m", "venv", str(server.venv)], check=True)
        pip = [str(server.venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, "--no-deps", "--require-hashes", "-r", str(LOCK)], check=True)
    except subprocess.CalledProcessError as error:
        raise CurateError(
            f"installing label-studio=={VERSION} failed ({error}); check that PyPI is reachable, "
            f"or install it yourself into {server.venv}"
        ) from None


def _read_credentials(server: Server) -> dict[str, str]:
    if server.credentials_file.is_file():
        data = json.loads(server.credentials_file.read_text(encoding="utf-8"))
        return {str(k): str(v) for k, v in data.items()}
    return {}


def credentials(server: Server, create: bool = False) -> dict[str, str]:
    """token and password: the token from LABEL_STUDIO_API_KEY first, else the 0600 file."""
    stored = _read_credentials(server)
    if create and ("password" not in stored or "token" not in stored):
        stored = {"token": secrets.token_hex(20), "password": secrets.token_urlsafe(18)} | stored
        server.credentials_file.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(server.credentials_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(stored, handle)
        os.chmod(server.credentials_file, 0o600)
    token = os.environ.get(TOKEN_VARIABLE) or stored.get("token")
    if not token:
        raise UsageError(
            f"no Label Studio token: set {TOKEN_VARIABLE}, or run `curate labelstudio serve` "
            "to start a local server that makes one"
        )
    return {"token": token, "password": stored.get("password", "")}


def make_private(server: Server) -> None:
    """Label Studio's folder 0700, its database and log 0600: they hold the API token, every
    task text and annotation. Set when `serve` creates them and repaired on every `serve`."""
    server.data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(server.data_dir, 0o700)
    for path in [*server.data_dir.glob("*.sqlite3*"), server.log_file]:
        if path.is_file():
            os.chmod(path, 0o600)


@dataclass(frozen=True)
class Running:
    """The Label Studio this project's `serve` started and that is still alive."""

    pid: int
    host: str
    port: int
    data_dir: str

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def describe(self) -> str:
        return f"pid {self.pid}, {self.url}, data in {self.data_dir}"


def running(server: Server) -> Running | None:
    """The server this project started, whatever curate.toml says now; None when none lives."""
    if not server.record_file.is_file():
        return None
    try:
        found = Running(**json.loads(server.record_file.read_text(encoding="utf-8")))
    except (ValueError, TypeError):
        return None  # a record from an older curate, or half written: nobody to stop by it
    return None if _exited(found.pid) else found


def healthy_url(url: str, timeout: float = 2.0) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def healthy(server: Server, timeout: float = 2.0) -> bool:
    return healthy_url(server.url, timeout)


def serve(
    server: Server,
    allow_remote: bool = False,
    wait: float = 240.0,
    say: Callable[[str], None] = lambda _: None,
) -> str:
    """Start the server in the background and wait until /health answers; returns the URL."""
    if server.host not in LOOPBACK and not allow_remote:
        raise UsageError(
            f"refusing to bind Label Studio to {server.host}: pass --allow-remote to serve "
            "beyond this machine"
        )
    started = running(server)
    if started is not None:
        if started.port == server.port and healthy(server):
            make_private(server)
            return server.url
        raise UsageError(
            f"this project's Label Studio is already running ({started.describe()}); one "
            "server per data folder: stop it with `curate labelstudio stop`, or point "
            f"curate.toml at it ([labelstudio] port = {started.port})"
        )
    if healthy(server):  # someone else's server answers at the configured address
        make_private(server)
        return server.url
    install(server, say)
    say(f"starting Label Studio on {server.url} (data in {server.data_dir})")
    pid = _spawn(server)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if _exited(pid):
            raise CurateError(f"Label Studio exited while starting; see {server.log_file}")
        if healthy(server):
            make_private(server)  # the database Label Studio just created
            return server.url
        time.sleep(0.2)
    stop(server)
    raise CurateError(
        f"Label Studio did not answer /health within {wait:.0f} s; see {server.log_file}"
    )


def _spawn(server: Server) -> int:
    """Start `label-studio start` in a detached session of its own (it outlives this command
    and stops with `stop`), its output in the log; the pid is recorded and returned."""
    secret = credentials(server, create=True)
    make_private(server)
    command = [
        str(server.executable),
        "start",
        "--no-browser",
        "--data-dir",
        str(server.data_dir),
        "--internal-host",
        server.host,
        "-p",
        str(server.port),
        "--username",
        server.admin_email,
        "--enable-legacy-api-token",
    ]
    # Secrets in the environment Label Studio reads, never on its command line: `ps` shows
    # a command line to every local user, a process's environment only to its owner.
    environment = labelstudio_environment(
        server.data_dir,
        {"LABEL_STUDIO_PASSWORD": secret["password"], "LABEL_STUDIO_USER_TOKEN": secret["token"]},
    )
    log = (
        os.POSIX_SPAWN_OPEN,
        1,
        str(server.log_file),
        os.O_WRONLY | os.O_CREAT | os.O_APPEND,
        0o600,
    )
    pid = os.posix_spawn(
        command[0],
        command,
        environment,
        setsid=True,
        file_actions=[log, (os.POSIX_SPAWN_DUP2, 1, 2)],
    )
    server.pid_file.write_text(str(pid), encoding="utf-8")
    record = Running(pid, server.host, server.port, str(server.data_dir))
    server.record_file.write_text(json.dumps(record.__dict__), encoding="utf-8")
    return pid


def export_copies(export_dir: Path, project_id: int) -> list[Path]:
    """The copies Label Studio 1.23 keeps of each export of a project it hands out (the result
    and its -info.json, named project-ID-at-TIME-MD5)."""
    return sorted(export_dir.glob(f"project-{project_id}-at-*.json"))


def manage(server: Server, *arguments: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Run a Label Studio management command (`reset_password`, `version`, `shell`, ...) on
    the server's data folder, in the environment the server gets; its output is returned."""
    command = [str(server.executable), *arguments, "--data-dir", str(server.data_dir)]
    done = subprocess.run(
        command,
        env=labelstudio_environment(server.data_dir),
        input=stdin,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise CurateError(
            f"Label Studio's `{arguments[0]}` failed (exit {done.returncode}: {last}); "
            f"reinstall it with `make labelstudio` if its virtualenv {server.venv} is broken"
        )
    return done


def _exited(pid: int) -> bool:
    """True once the process is gone (reaping it when this process started it)."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            return True
    except ChildProcessError:
        pass  # started by another curate process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def stop(server: Server) -> bool:
    """Stop the server this project started (the recorded one, whatever curate.toml says
    now); False when none was running."""
    started = running(server)
    if started is None and server.pid_file.is_file():  # started by a curate before the record
        started = Running(int(server.pid_file.read_text(encoding="utf-8")), "", 0, "")
    server.pid_file.unlink(missing_ok=True)
    server.record_file.unlink(missing_ok=True)
    if started is None:
        return False
    pid = started.pid
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    for _ in range(100):
        if _exited(pid):
            return True
        time.sleep(0.2)
    os.killpg(pid, signal.SIGKILL)
    return True

"""Faults talking to Label Studio, through httpx.MockTransport (the real server: elsewhere)."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest
from label_studio_sdk import LabelStudio

import curate.labelstudio.client as client_module
from curate.labelstudio.client import NO_RETRY, RETRIES, LabelStudioError, call
from curate.labelstudio.server import Server, credentials

URL = "http://127.0.0.1:8089"


def _client(handler) -> LabelStudio:  # type: ignore[no-untyped-def]
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return LabelStudio(base_url=URL, api_key="t" * 40, httpx_client=http)


@pytest.fixture(autouse=True)
def _no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every retry still happens, without the waits between them (curate's and the SDK's own,
    1 s doubling, for connection errors and 5xx)."""
    monkeypatch.setattr(client_module, "BACKOFF", 0.0)
    monkeypatch.setattr("label_studio_sdk.core.http_client.INITIAL_RETRY_DELAY_SECONDS", 0.0)


def test_5xx_is_retried_then_succeeds() -> None:
    answers = iter([500, 502, 200])

    def handler(request: httpx.Request) -> httpx.Response:
        status = next(answers)
        body = {"id": 1, "email": "a@b.c"} if status == 200 else {"detail": "boom"}
        return httpx.Response(status, json=body)

    user = call(lambda: _client(handler).users.whoami(), "read the user", URL)
    assert user.id == 1


def test_5xx_that_persists_is_reported() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json={"detail": "down"})

    with pytest.raises(LabelStudioError, match="answered 503 while trying to read the user"):
        call(lambda: _client(handler).users.whoami(), "read the user", URL)


def test_a_call_that_is_not_safe_to_repeat_is_tried_once() -> None:
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(500, json={})

    with pytest.raises(LabelStudioError):
        call(
            lambda: _client(handler).projects.create(title="x", request_options=NO_RETRY),
            "create",
            URL,
            retry=False,
        )
    assert len(seen) == 1


def test_timeouts_and_refused_tokens_say_what_to_do() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(LabelStudioError, match=r"did not answer in time .* safe to re-run"):
        call(lambda: _client(slow).users.whoami(), "read the user", URL)

    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"detail": "Invalid token."})

    with pytest.raises(LabelStudioError) as caught:
        call(lambda: _client(refuse).users.whoami(), "read the user", URL)
    assert "set LABEL_STUDIO_API_KEY" in str(caught.value)
    assert "t" * 40 not in str(caught.value)  # the token never appears in a message


def test_the_generated_token_file_is_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    server = Server(tmp_path, "127.0.0.1", 8089, "admin@example.org", tmp_path / "venv")
    made = credentials(server, create=True)
    mode = stat.S_IMODE(os.stat(server.credentials_file).st_mode)
    assert mode == 0o600
    assert json.loads(server.credentials_file.read_text())["token"] == made["token"]
    assert credentials(server)["token"] == made["token"]  # kept, not made anew
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "from-env")
    assert credentials(server)["token"] == "from-env"


def test_serving_beyond_loopback_needs_a_flag(tmp_path: Path) -> None:
    from curate.errors import UsageError
    from curate.labelstudio.server import serve

    server = Server(tmp_path, "0.0.0.0", 8089, "admin@example.org", tmp_path / "venv")
    with pytest.raises(UsageError, match="pass --allow-remote"):
        serve(server)


def test_a_server_that_drops_the_connection_mid_request_gets_a_clear_message() -> None:
    """A real socket that reads the request and hangs up: httpx raises RemoteProtocolError."""
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]

    dropped = []

    def drop() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return  # the listener closed: the test is over
            connection.recv(65536)
            connection.close()
            dropped.append(1)

    threading.Thread(target=drop, daemon=True).start()
    from curate.labelstudio.client import connect

    with connect(f"http://127.0.0.1:{port}", "t" * 40, timeout=5) as client:
        with pytest.raises(LabelStudioError) as caught:
            call(lambda: client.users.whoami(), "read the user", f"http://127.0.0.1:{port}")
    listener.close()
    assert len(dropped) >= RETRIES  # dropped connections are retried like time-outs
    message = str(caught.value)
    assert "closed the connection while trying to read the user (RemoteProtocolError)" in message
    assert "safe to re-run" in message and "t" * 40 not in message


@pytest.mark.parametrize(
    ("setting", "named"),
    [("url", "or fix [labelstudio] url in curate.toml"), ("port", "or fix [labelstudio] port")],
)
def test_cannot_reach_names_the_config_key_in_the_cli(
    project_dir: Path, monkeypatch: pytest.MonkeyPatch, setting: str, named: str
) -> None:
    """The hint names the setting curate.toml uses for the address: url, or port."""
    import socket

    from typer.testing import CliRunner

    from curate.cli import app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once the probe closes
    config = project_dir / "curate.toml"
    line = f'url = "http://127.0.0.1:{port}"' if setting == "url" else f"port = {port}"
    text = config.read_text("utf-8")
    if setting == "port":
        text = re.sub(r"(?m)^port = \d+$", "", text)
    config.write_text(text.replace("[labelstudio]", f"[labelstudio]\n{line}", 1), "utf-8")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "t" * 40)
    for command in ("push", "loop"):
        result = CliRunner().invoke(app, ["--project", str(project_dir), command])
        assert result.exit_code != 0 and "Traceback" not in result.output
        output = " ".join(result.output.split())
        assert f"cannot reach Label Studio at http://127.0.0.1:{port}" in output, output
        assert named in output, output


def test_a_push_that_fails_takes_back_the_assignments_it_did_not_send(project: Any) -> None:
    """The server refuses the push before any task is made: the store is left as it was,
    with no assignment nobody was sent; a negative --wait is refused before anything."""
    from curate.errors import UsageError
    from curate.labelstudio.push import push
    from curate.store import queries

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, json={"detail": "Authentication credentials were not valid."})

    store = project.open_store()
    with pytest.raises(UsageError, match="--wait -1"):
        push(store, project, _client(handler), URL, wait=-1)
    with pytest.raises(LabelStudioError):
        push(store, project, _client(handler), URL)
    with store.connect() as connection:
        assert queries.assignment_map(connection) == {}
        assert queries.document_ids(connection)  # the documents stay
    store.close()


def test_a_404_names_the_servers_reason_and_the_fix_not_its_raw_answer() -> None:
    """Label Studio 1.23's 404 body is a dict with id, status_code, version, exc_info."""

    def handler(request: httpx.Request) -> httpx.Response:
        body = {
            "id": "e1",
            "status_code": 404,
            "version": "1.23.2",
            "detail": "No Prediction matches the given query.",
            "exc_info": None,
        }
        return httpx.Response(404, json=body)

    with pytest.raises(LabelStudioError) as caught:
        call(lambda: _client(handler).users.whoami(), "read the user", URL)
    message = str(caught.value)
    assert message == (
        f"Label Studio at {URL} answered 404 while trying to read the user: No Prediction "
        "matches the given query; if another curate command changed the project meanwhile, "
        "run this one again (it is safe to re-run)"
    )
    assert "{" not in message and "exc_info" not in message

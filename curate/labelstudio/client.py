"""The Label Studio connection: label-studio-sdk with timeouts, retries where safe, and errors that
say what to do. The token is never part of a message."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import httpx

from curate.errors import CurateError

T = TypeVar("T")
# For requests that must not be repeated blindly (creating users, projects, tasks): the SDK would
# otherwise retry them on 5xx by itself.
NO_RETRY: dict[str, Any] = {"max_retries": 0}
RETRIES = 4
BACKOFF = 0.5  # seconds, doubled each try


class LabelStudioError(CurateError):
    pass


class UnreachableError(LabelStudioError):
    """Nothing answers at the address: `reason` says what was tried; the message adds how to
    start the server or fix the address (the CLI names the setting curate.toml uses)."""

    def __init__(self, reason: str, fix: str = ""):
        super().__init__(f"{reason}; {fix}" if fix else reason)
        self.reason = reason


def _reason(body: object) -> str:
    """What the server said, in its words: the `detail` of its JSON answer, never the raw dict."""
    if isinstance(body, dict):
        detail = body.get("detail") or body.get("validation_errors") or body.get("message")
        if detail:
            return str(detail)[:300].rstrip(".")
        return "; ".join(f"{k}: {v}" for k, v in body.items() if k not in ("id", "exc_info"))[:300]
    return str(body)[:300] or "no reason given"


@contextmanager
def connect(url: str, token: str, timeout: float = 60.0) -> Iterator[Any]:
    """A label-studio-sdk client whose connections are closed when the block ends."""
    from label_studio_sdk import LabelStudio

    with httpx.Client(timeout=timeout, follow_redirects=True) as http:
        yield LabelStudio(base_url=url, api_key=token, timeout=timeout, httpx_client=http)


def call(action: Callable[[], T], what: str, url: str, retry: bool = True) -> T:
    """Run one API call; retry time-outs and dropped connections when `retry` (only for calls
    that are safe to repeat), then fail with a message naming the fix. 5xx answers are retried
    with backoff by the SDK itself (switched off per request with NO_RETRY)."""
    from label_studio_sdk.core.api_error import ApiError

    tries = RETRIES if retry else 1
    for attempt in range(tries):
        last = attempt == tries - 1
        try:
            return action()
        except ApiError as error:
            status = error.status_code or 0
            if status in (401, 403):
                raise LabelStudioError(
                    f"Label Studio at {url} refused the token ({status}) while trying to {what}; "
                    "set LABEL_STUDIO_API_KEY to a valid token (Account & Settings > Access Token)"
                ) from None
            raise LabelStudioError(
                f"Label Studio at {url} answered {status} while trying to {what}: "
                f"{_reason(error.body)}"
                + (
                    "; it kept failing, see its log"
                    if status >= 500
                    else "; if another curate command changed the project meanwhile, run this "
                    "one again (it is safe to re-run)"
                    if status == 404
                    else ""
                )
            ) from None
        except (httpx.ConnectError, httpx.TimeoutException, httpx.TransportError) as error:
            if not last:
                time.sleep(BACKOFF * 2**attempt)
                continue
            if isinstance(error, httpx.ConnectError):
                raise UnreachableError(
                    f"cannot reach Label Studio at {url} to {what}",
                    "start it with `curate labelstudio serve`, or fix its address in curate.toml",
                ) from None
            if not isinstance(error, httpx.TimeoutException):
                # RemoteProtocolError, ReadError...: the server dropped the connection mid-request.
                raise LabelStudioError(
                    f"Label Studio at {url} closed the connection while trying to {what} "
                    f"({type(error).__name__}); check its log (.curate/labelstudio/server.log), "
                    "then run the command again (it is safe to re-run)"
                ) from None
            raise LabelStudioError(
                f"Label Studio at {url} did not answer in time to {what} ({tries} tries); "
                "check that it is not overloaded, then run the command again (it is safe to re-run)"
            ) from None
    raise AssertionError("unreachable")

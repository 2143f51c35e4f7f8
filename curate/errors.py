"""One exception tree for curate.

    CurateError                 anything curate refuses to do; the message names the fix
    ├── UsageError              the request itself is wrong (exit code 2)
    │   ├── ConfigError         curate.toml is missing or invalid
    │   └── InputError          a file, folder or record cannot be read
    ├── StoreError              the database refused or is out of date (exit code 1)
    │   └── AppendOnlyError     an attempt to change what a person wrote
    └── SpanError               offsets that do not match the document text (exit code 1)

The CLI maps UsageError to exit code 2 and every other CurateError to exit code 1.
"""

from __future__ import annotations


class CurateError(Exception):
    """Base class: every message says what is wrong and how to fix it."""

    exit_code = 1


class UsageError(CurateError):
    exit_code = 2


class ConfigError(UsageError):
    pass


class InputError(UsageError):
    pass


class StoreError(CurateError):
    pass


class AppendOnlyError(StoreError):
    pass


class SpanError(CurateError):
    pass

"""Files an input names: confined to a root, regular, under a size cap.

Every file lazycheck reads because an input named it -- a target's model
paths, an ``#include``, an ITF trace's ``target``, a target name -- goes
through :func:`confine` and :func:`read_text`.  A path that is absolute,
leaves the root (``..``, a symbolic link), names a device, a FIFO or a
directory, is too long or too large is a coded diagnostic that names the
offending *string*; the content of a file outside the root is never read,
so it can never be echoed.  A leaf module: ``targets`` and ``lang.loader``
both use it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from lazycheck.diagnostics import Diagnostic, Span, excerpt
from lazycheck.errors import ModelError

MAX_PATH_CHARS = 255  # a path an input names, as written
MAX_MODEL_BYTES = 1 << 20  # one .lazy file
MAX_TOML_BYTES = 64 << 10  # one target TOML
MAX_TRACE_BYTES = 16 << 20  # one ITF trace
MAX_INCLUDE_DEPTH = 16  # #include nesting
MAX_MODEL_FILES = 256  # files one load may read, includes included


def _fail(code: str, msg: str, span: Span | None, help: str | None) -> ModelError:
    return ModelError([Diagnostic(code, msg, span, help=help)])


def confine(path_string: str, root: Path, span: Span | None = None,
            base: Path | None = None, what: str = "path",
            inside: str = "the repository") -> Path:
    """``path_string`` resolved against ``base`` (default ``root``), checked to stay in ``root``.

    Raises :class:`ModelError` (LZC013) for an absolute, over-long or escaping
    path; the file itself is not opened.
    """
    shown = excerpt(path_string, 0, 80)
    hint = f"{what}s are relative and stay inside {inside}"
    if not path_string or len(path_string) > MAX_PATH_CHARS or "\0" in path_string:
        raise _fail("LZC013", f"{what} '{shown}' is empty, contains NUL or is longer "
                    f"than {MAX_PATH_CHARS} characters", span, hint)
    if Path(path_string).is_absolute() or path_string.startswith("~"):
        raise _fail("LZC013", f"{what} '{shown}' is absolute", span, hint)
    top = root.resolve()
    try:
        resolved = ((base or root) / path_string).resolve()
    except (OSError, RuntimeError, ValueError):
        raise _fail("LZC013", f"{what} '{shown}' cannot be resolved", span, hint) from None
    if not resolved.is_relative_to(top):
        raise _fail("LZC013", f"{what} '{shown}' leaves {inside}", span, hint)
    return resolved


def check_regular(path: Path, shown: str, cap: int, span: Span | None = None) -> None:
    """Raise unless ``path`` is an existing regular file of at most ``cap`` bytes."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise _fail("LZC010", f"cannot read {shown}: {exc.strerror}", span,
                    "check the path; model paths are relative to the including file or "
                    "the repository") from None
    if not stat.S_ISREG(st.st_mode):
        raise _fail("LZC013", f"{shown} is not a regular file", span,
                    "name a regular file (not a directory, device or FIFO)")
    if st.st_size > cap:
        raise _fail("LZC014", f"{shown} has {st.st_size:,} bytes, more than the limit of "
                    f"{cap:,}", span, "inputs are small text files; split or shorten it")


def read_text(path: Path, shown: str, cap: int, span: Span | None = None) -> str:
    """The UTF-8 text of a regular file of at most ``cap`` bytes, else a diagnostic."""
    check_regular(path, shown, cap, span)
    try:
        # non-blocking: a FIFO swapped in after the check cannot hang the read
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as f:
            data = f.read(cap + 1)
    except OSError as exc:
        raise _fail("LZC010", f"cannot read {shown}: {exc.strerror}", span,
                    "check the path and its permissions") from None
    if len(data) > cap:
        raise _fail("LZC014", f"{shown} is larger than the limit of {cap:,} bytes", span,
                    "inputs are small text files; split or shorten it")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise _fail("LZC010", f"{shown} is not UTF-8 text", span, None) from None

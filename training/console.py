"""A quiet console for the Ray commands (`aerena train`, `run`, `league`, `tune`).

Ray and RLlib write notices to the process's standard error: the token-authentication
notice, "Started a local Ray instance", deprecation warnings, GPU-monitoring hints and the
C++ core worker's log lines (written to file descriptor 2 directly, past Python's
`sys.stderr`). :func:`ray_log` sends all of it to the run folder's ``ray.log`` while Ray
starts, trains and stops, so the console shows the progress view and aerena's own lines
only; ``--verbose`` (``verbose=True``) leaves standard error alone.

:func:`check_address` turns a `--address` that cannot be reached into one
:class:`~aerena.errors.UserError` before anything is started or written.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple, TextIO

from aerena.errors import UserError

LOG_NAME = "ray.log"
CONNECT_TIMEOUT_S = 5.0


class Quiet(NamedTuple):
    log: Path | None  # where Ray's messages go (None: on the console, `verbose`)
    console: TextIO  # the console's standard error, for aerena's own lines meanwhile


@contextmanager
def ray_log(path: Path | None, verbose: bool = False) -> Iterator[Quiet]:
    """While active, file descriptor 2 (and so `sys.stderr`, Python warnings, logging and
    native libraries) appends to `path`; yields the log's path and the console stream."""
    if verbose or path is None:
        yield Quiet(None, sys.stderr)
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    saved, saved_obj = os.dup(2), sys.stderr
    console = open(saved, "w", buffering=1, closefd=False, encoding="utf-8")  # noqa: SIM115
    with open(path, "ab") as log:
        os.dup2(log.fileno(), 2)
    # sys.stderr too, where it is not fd 2 (a test runner's capture, an IDE's console)
    sys.stderr = open(path, "a", buffering=1, encoding="utf-8", errors="replace")  # noqa: SIM115
    try:
        yield Quiet(path, console if _on_fd2(saved_obj) else saved_obj)
    finally:
        console.flush()
        sys.stderr.close()
        sys.stderr = saved_obj
        os.dup2(saved, 2)
        os.close(saved)


def _on_fd2(stream: TextIO) -> bool:
    try:
        return stream.fileno() == 2
    except (AttributeError, OSError, ValueError):
        return False


def host_port(address: str) -> tuple[str, int] | None:
    """(host, port) of a `ray://host:port` or `host:port` address; None for `auto` /
    `local` (Ray finds those itself)."""
    rest = address.split("://", 1)[1] if "://" in address else address
    if rest in ("auto", "local", ""):
        return None
    host, sep, port = rest.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise UserError(f"--address {address}: expected auto, HOST:PORT or ray://HOST:PORT")
    return host.strip("[]"), int(port)


def check_address(address: str | None) -> None:
    """A UserError naming `address` when nothing answers there (TCP, a few seconds)."""
    if not address:
        return
    hp = host_port(address)
    if hp is None:
        return
    try:
        with socket.create_connection(hp, timeout=CONNECT_TIMEOUT_S):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        msg = f"--address {address}: cannot reach a Ray cluster there ({reason})"
        raise UserError(msg) from None


def start_failure(address: str | None, exc: BaseException, log: Path | None) -> UserError:
    """The one-line error for a Ray start-up (or connection) that failed."""
    where = f"connect to the Ray cluster at {address}" if address else "start a local Ray"
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    detail = f"; Ray's messages are in {log}" if log is not None else ""
    return UserError(f"could not {where}: {first[:300]}{detail}")

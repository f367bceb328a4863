"""Writing files so that a reader -- or a run interrupted half-way -- never sees half a file.

:func:`atomic_write` writes a temporary file in the target's folder (named
``.<name>.<pid>.<random>.tmp``), flushes it to disk and moves it into place with
``os.replace``; on any failure (or Ctrl-C) the temporary file is removed and the old
content, if any, stays. A process killed outright (SIGKILL, power loss) can still leave its
temporary file: :func:`remove_stale_temp_files` removes those whose writer no longer runs.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

_TEMP_RE = re.compile(r"^\..+\.(\d+)\.[^.]+\.tmp$")


def atomic_write(
    path: str | os.PathLike[str], content: str | bytes | Callable[[IO[bytes]], None]
) -> Path:
    """Write `content` (text as UTF-8, bytes, or a function that writes to a binary file)
    to `path` through a temporary file in the same folder + `os.replace`."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.{os.getpid()}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            if callable(content):
                content(fh)
            else:
                fh.write(content.encode("utf-8") if isinstance(content, str) else content)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600: give the usual modes
        os.replace(tmp, p)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(p.parent)
    return p


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """:func:`atomic_write` of a text (UTF-8, ``\\n`` line ends as given)."""
    return atomic_write(path, text)


def remove_stale_temp_files(folder: str | os.PathLike[str], name_glob: str = "*") -> list[Path]:
    """Remove the temporary files of :func:`atomic_write` (for targets matching
    `name_glob`) that a writer no longer running left in `folder`; return them."""
    removed = []
    folder = Path(folder)
    for p in folder.glob(f".{name_glob}.*.tmp") if folder.is_dir() else ():
        m = _TEMP_RE.match(p.name)
        if m is None or _pid_alive(int(m.group(1))):
            continue
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
            removed.append(p)
    return removed


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # someone else's process (or a pid we cannot ask about): leave its file
    return True


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

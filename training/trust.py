"""Which RLlib checkpoints aerena opens: the ones it wrote, unless told otherwise.

An RLlib checkpoint is code: ``class_and_ctor_args.pkl`` and the state files are
(cloud)pickles, and unpickling a crafted file runs whatever its author wrote. So every
checkpoint and league snapshot aerena saves is *signed*: ``aerena_signature.json`` lists
the SHA-256 of every file in the folder and an HMAC-SHA256 of that list under a key only
this user can read (``$AERENA_KEY_FILE``, else ``$XDG_DATA_HOME/aerena/checkpoint.key``,
else ``~/.local/share/aerena/checkpoint.key``; 32 random bytes made on first use, mode
0600). Before anything under a folder is unpickled, :func:`require_trusted` checks the
signature and that no file was added, removed or changed since aerena wrote it.

A checkpoint written by someone else (another user, another machine, a download) does not
verify. It is read from its ``weights/`` folder when it has one; else, inside a run
folder, it is still opened without running code from it
(:func:`aerena.training.evaluate.load_modules`): each module is built from the run's
``config.yaml`` and given the weights of its ``module_state.pkl``, read by
:func:`load_module_state`, an unpickler that builds only dicts and numpy arrays. Anything
else -- a bare checkpoint or league snapshot, ``--resume``, a Tune restore -- is refused
unless you pass ``--trust-checkpoint`` (it sets ``AERENA_TRUST_CHECKPOINTS=1`` for this
process and, through every env runner's config, its Ray workers, remote ones included):
do so only if you trust its author as you would trust their code. For sharing and
deployment use the formats that hold no code: a weights folder
(:mod:`aerena.training.weights`, also ``weights/`` inside every checkpoint), ONNX models
(``aerena export``) and graph-policy ``.pt`` files (read with
``torch.load(weights_only=True)``).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import pickle
import secrets
import tempfile
from pathlib import Path
from typing import Any

from aerena.errors import UserError
from aerena.files import atomic_write_text

SIGNATURE_FILE = "aerena_signature.json"
SIGNATURE_FORMAT = "aerena-checkpoint-signature/1"
TRUST_ENV = "AERENA_TRUST_CHECKPOINTS"
KEY_ENV = "AERENA_KEY_FILE"
MAX_SIGNATURE_BYTES = 4 * 2**20


def key_path() -> Path:
    """Where this user's signing key lives (see the module docstring)."""
    if os.environ.get(KEY_ENV):
        return Path(os.environ[KEY_ENV]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "aerena" / "checkpoint.key"


def _key(create: bool) -> bytes | None:
    path = key_path()
    try:
        return path.read_bytes()
    except FileNotFoundError:
        if not create:
            return None
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".key.", suffix=".tmp")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(key)
        os.link(tmp, path)  # fails if another process made the key first: use theirs
    except FileExistsError:
        pass
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path.read_bytes()


def _digests(folder: Path) -> dict[str, str]:
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if rel == SIGNATURE_FILE or p.is_dir():
            continue
        if p.is_symlink() or not p.is_file():
            out[rel] = "not-a-regular-file"
            continue
        h = hashlib.sha256()
        with p.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        out[rel] = h.hexdigest()
    return out


def _mac(key: bytes, files: dict[str, str]) -> str:
    text = json.dumps(files, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def sign(folder: str | Path) -> Path:
    """Sign a checkpoint folder aerena has just written (the signature written atomically)."""
    folder = Path(folder)
    files = _digests(folder)
    key = _key(create=True)
    assert key is not None
    doc = {"format": SIGNATURE_FORMAT, "files": files, "hmac": _mac(key, files)}
    return atomic_write_text(folder / SIGNATURE_FILE, json.dumps(doc))


def trusted_by_flag() -> bool:
    return os.environ.get(TRUST_ENV) == "1"


RUNNER_KEY = "trust_checkpoints"  # the driver's decision, in every env runner's config


def adopt_runner_decision(config: Any) -> None:
    """On an env runner: take the driver's trust decision from its env config (key
    :data:`RUNNER_KEY`, set by ``training.train.env_config``), whatever the environment of
    the runner's machine says -- a remote cluster (``--address``) does not see the driver's
    ``--trust-checkpoint``, and a worker's own ``AERENA_TRUST_CHECKPOINTS`` must not widen
    it. A config without the key leaves this process as it is."""
    if RUNNER_KEY not in config:
        return
    if config[RUNNER_KEY] is True:
        os.environ[TRUST_ENV] = "1"
    else:
        os.environ.pop(TRUST_ENV, None)


def untrusted_reason(folder: str | Path) -> str | None:
    """Why `folder` may not be unpickled (None: it carries a valid signature of this
    user's aerena and is unchanged since, or ``--trust-checkpoint`` was given). Reads no
    pickle."""
    if trusted_by_flag():
        return None
    folder = Path(folder)
    sig = folder / SIGNATURE_FILE
    if not sig.is_file():
        return f"{folder}: not a checkpoint this aerena wrote (no signature)"
    try:
        if sig.stat().st_size > MAX_SIGNATURE_BYTES:
            raise ValueError("too large")
        doc = json.loads(sig.read_text(encoding="utf-8"))
        files, mac = doc["files"], doc["hmac"]
        if doc.get("format") != SIGNATURE_FORMAT or not isinstance(files, dict):
            raise ValueError("format")
    except (OSError, ValueError, KeyError, TypeError):
        return f"{folder}: unreadable checkpoint signature"
    key = _key(create=False)
    if key is None or not isinstance(mac, str) or not hmac.compare_digest(mac, _mac(key, files)):
        return f"{folder}: signed by another aerena (not this user's key)"
    if _digests(folder) != files:
        return f"{folder}: changed since aerena wrote it (files added or altered)"
    return None


def require_trusted(folder: str | Path) -> None:
    """Raise a UserError (with what to do) unless :func:`untrusted_reason` finds none."""
    reason = untrusted_reason(folder)
    if reason is not None:
        raise UserError(
            f"{reason}; RLlib checkpoints are pickles and opening one runs code from it; if "
            "you trust whoever wrote it as you would trust their code, pass --trust-checkpoint"
        )


# the globals a module_state.pkl of RLlib's torch modules refers to: numpy arrays by value
_STATE_GLOBALS = {
    ("collections", "OrderedDict"),
    ("numpy", "dtype"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy.core.numeric", "_frombuffer"),
}


class _WeightsUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _STATE_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in module weights")


def load_module_state(path: str | Path) -> dict[str, Any]:
    """The weights of an RLlib module (``module_state.pkl``: names -> numpy arrays) read
    by an unpickler that builds nothing but dicts and numpy arrays -- no code runs."""
    try:
        with open(path, "rb") as fh:
            state = _WeightsUnpickler(fh).load()
    except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError) as exc:
        raise UserError(f"{path}: not plain module weights ({exc})") from None
    if not isinstance(state, dict):
        raise UserError(f"{path}: not plain module weights (a {type(state).__name__})")
    return state


class _TrustAction(argparse.Action):
    def __call__(self, parser: Any, namespace: Any, values: Any, option: Any = None) -> None:
        setattr(namespace, self.dest, True)
        os.environ[TRUST_ENV] = "1"  # read here and by the Ray workers this process starts


def add_trust_option(parser: argparse.ArgumentParser) -> None:
    """The ``--trust-checkpoint`` flag of commands that open RLlib checkpoints."""
    parser.add_argument(
        "--trust-checkpoint",
        action=_TrustAction,
        nargs=0,
        default=False,
        help="open RLlib checkpoints aerena did not write and sign (they are pickles: "
        "opening one runs its author's code)",
    )

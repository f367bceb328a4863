"""Checkpoint signatures (aerena.training.trust) and progress files that survive a kill."""

from __future__ import annotations

from pathlib import Path

import pytest

from aerena.errors import UserError
from aerena.training import trust
from aerena.training.progress import read_records, record_line


@pytest.fixture
def key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "keys" / "checkpoint.key"
    monkeypatch.setenv(trust.KEY_ENV, str(path))
    monkeypatch.delenv(trust.TRUST_ENV, raising=False)
    return path


def _checkpoint(folder: Path) -> Path:
    (folder / "module").mkdir(parents=True)
    (folder / "module" / "class_and_ctor_args.pkl").write_bytes(b"pickle bytes")
    (folder / "rllib_checkpoint.json").write_text("{}")
    return folder


def test_signed_checkpoint_verifies_and_the_key_is_private(tmp_path: Path, key: Path) -> None:
    ck = _checkpoint(tmp_path / "ck")
    trust.sign(ck)
    trust.require_trusted(ck)
    assert key.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("change", ["alter", "add", "remove"])
def test_any_change_after_signing_is_refused(tmp_path: Path, key: Path, change: str) -> None:
    ck = _checkpoint(tmp_path / "ck")
    trust.sign(ck)
    pkl = ck / "module" / "class_and_ctor_args.pkl"
    if change == "alter":
        pkl.write_bytes(b"other pickle")
    elif change == "add":
        (ck / "module" / "extra.pkl").write_bytes(b"x")
    else:
        pkl.unlink()
    with pytest.raises(UserError, match="changed since aerena wrote it"):
        trust.require_trusted(ck)


def test_unsigned_or_foreign_checkpoints_need_the_flag(
    tmp_path: Path, key: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ck = _checkpoint(tmp_path / "ck")
    with pytest.raises(UserError, match="no signature.*--trust-checkpoint"):
        trust.require_trusted(ck)
    trust.sign(ck)
    monkeypatch.setenv(trust.KEY_ENV, str(tmp_path / "other.key"))  # another user's aerena
    with pytest.raises(UserError, match="signed by another aerena"):
        trust.require_trusted(ck)
    monkeypatch.setenv(trust.TRUST_ENV, "1")
    trust.require_trusted(ck)


def test_progress_tolerates_a_torn_last_line(tmp_path: Path) -> None:
    path = tmp_path / "progress.jsonl"
    recs = [{"iteration": i, "env_steps": 10 * i, "time_s": float(i)} for i in (1, 2)]
    path.write_text("".join(record_line(r) for r in recs) + '{"iteration": 3, "env_st')
    assert [r["iteration"] for r in read_records(path)] == [1, 2]
    path.write_text('{"iteration": 1, "env_st\n' + record_line(recs[1]))
    with pytest.raises(UserError, match="progress.jsonl:1"):
        read_records(path)

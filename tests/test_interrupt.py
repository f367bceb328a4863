"""Ctrl-C to the whole process group of a training run, at random moments, then --resume:
no checkpoint is lost and no progress line the checkpoint covers is lost (issue 15)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aerena.training import trust
from aerena.training.progress import read_records
from aerena.training.train import STATE_FILE, latest_checkpoint
from tests.quick_runs import QUICK_RUN

QUICK = [
    *(f"{k}={v}" for k, v in QUICK_RUN.items()),
    "algorithm.train_batch_size=128",
    "checkpoint.every=1",
    "checkpoint.keep=2",
]


def _train(args: list[str], cwd: Path) -> subprocess.Popen:
    sets = [x for kv in QUICK for x in ("--set", kv)]
    cmd = [sys.executable, "-m", "aerena.cli", "train", "--no-live", *args, *sets]
    return subprocess.Popen(
        cmd, cwd=cwd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def _lines(run: Path | None) -> int:
    if run is None or not (run / "progress.jsonl").is_file():
        return 0
    return (run / "progress.jsonl").read_text().count("\n")


def _interrupt(proc: subprocess.Popen, runs: Path, at_least: int, delay: float) -> Path:
    """Wait for `at_least` progress lines, then `delay` s, then SIGINT the process group."""
    deadline = time.monotonic() + 180
    run = None
    while time.monotonic() < deadline and proc.poll() is None:
        run = next(iter(sorted(runs.glob("*/config.yaml"))), None)
        run = run.parent if run else None
        if _lines(run) >= at_least:
            break
        time.sleep(0.1)
    assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
    time.sleep(delay)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert run is not None
    return run


def _check(run: Path, before: list[dict]) -> tuple[int, list[dict]]:
    ck = latest_checkpoint(run)
    assert ck is not None, "the interrupted run has no checkpoint"
    trust.require_trusted(ck)  # complete, signed, unchanged
    done = int(json.loads((ck / STATE_FILE).read_text())["iteration"])
    recs = read_records(run / "progress.jsonl")
    assert [r["iteration"] for r in recs] == list(range(1, len(recs) + 1))
    assert len(recs) >= done  # every iteration the checkpoint covers has its line
    kept = [r for r in before if r["iteration"] <= done]
    assert recs[: len(kept)] == kept  # earlier lines are never rewritten or lost
    return done, recs


@pytest.mark.slow
def test_ctrl_c_at_random_moments_loses_no_checkpoint_and_no_progress(tmp_path: Path) -> None:
    rng = random.Random(int(os.environ.get("AERENA_KILL_SEED", "15")))
    runs = tmp_path / "runs"
    proc = _train(["--scenario", "tiny", "--runs-dir", str(runs), "--set", "stop.iterations=500"],
                  tmp_path)  # fmt: skip
    run = _interrupt(proc, runs, at_least=1, delay=rng.uniform(0.0, 1.5))
    done, recs = _check(run, [])
    for _ in range(2):  # resume, and interrupt again
        proc = _train(["--resume", str(run), "--set", "stop.iterations=500"], tmp_path)
        _interrupt(proc, runs, at_least=len(recs) + 1, delay=rng.uniform(0.0, 1.5))
        new_done, new_recs = _check(run, recs)
        assert new_done >= done
        done, recs = new_done, new_recs
    proc = _train(["--resume", str(run), "--set", f"stop.iterations={done + 1}"], tmp_path)
    assert proc.wait(timeout=300) == 0, proc.stderr.read().decode() if proc.stderr else ""
    final = read_records(run / "progress.jsonl")
    assert [r["iteration"] for r in final] == list(range(1, done + 2))
    assert final[:done] == [r for r in recs if r["iteration"] <= done]

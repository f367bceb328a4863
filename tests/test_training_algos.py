"""APPO and IMPALA through the training recipe: 2 iterations on `tiny`, checkpoint, resume.

PPO has the same test in `tests/test_training.py`. Tiny batches and a small model, so each
run takes seconds; marked slow (RLlib start-up).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from quick_runs import QUICK_RUN

from aerena.training.config import experiment_for_scenario

SMALL = {
    **QUICK_RUN,
    "algorithm.train_batch_size": 64,
    "model.layers": 1,
    "stop.iterations": 2,
    "checkpoint.every": 1,
    "checkpoint.keep": 1,
}


def _iterations(run: Path) -> list[int]:
    lines = (run / "progress.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(x)["iteration"] for x in lines]


@pytest.mark.slow
@pytest.mark.parametrize("algo", ["APPO", "IMPALA"])
def test_two_iterations_checkpoint_resume(algo: str, tmp_path: Path, ray_local: None) -> None:
    from aerena.training.train import latest_checkpoint, train

    exp = experiment_for_scenario("tiny", {**SMALL, "name": algo.lower(), "algorithm.name": algo})
    res = train(exp, runs_dir=tmp_path, live=False)
    run = res.run_dir
    assert res.iterations == 2 and res.stop_reason == "iterations reached 2"
    assert res.env_steps > 0
    ck = latest_checkpoint(run)
    assert ck is not None and ck.name == "iter_000002"
    assert sorted(p.name for p in (run / "checkpoints").glob("iter_*")) == ["iter_000002"]
    assert not list((run / "checkpoints").glob(".tmp-*"))
    assert _iterations(run) == [1, 2]

    # resume: the iteration counter and the env steps continue from the checkpoint
    res2 = train(resume=run, overrides={"stop.iterations": 3}, live=False)
    assert res2.run_dir == run and res2.iterations == 3
    assert res2.env_steps > res.env_steps
    assert _iterations(run) == [1, 2, 3]
    assert latest_checkpoint(run).name == "iter_000003"
    cfg = (run / "config.yaml").read_text(encoding="utf-8")
    assert f"name: {algo}" in cfg

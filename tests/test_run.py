"""`aerena run`: train (wall-time stop), evaluate learned vs scripted, record replays."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("ray.rllib")


def test_run_experiment_is_the_defender_recipe_on_wall_time() -> None:
    from aerena.scenarios.loader import load_scenario
    from aerena.training.config import load_experiment
    from aerena.training.run import RECIPE, run_experiment

    recipe = load_experiment(RECIPE).config
    exp = run_experiment("strike_small", 0.5, 3).config
    assert exp.learn == "defender" and exp.opponent == "scripted" and exp.seed == 3
    assert exp.stop.time_s == 30.0 and exp.stop.iterations is None
    assert exp.init == recipe.init and exp.algorithm == recipe.algorithm
    assert exp.emission_plan == recipe.emission_plan  # 16 delays of 60 s on strike_small
    # on another scenario the delays span its episode
    exp = run_experiment("tiny", 1, 0).config
    ep = load_scenario("tiny").episode
    assert exp.emission_plan.step_s * (exp.emission_plan.choices - 1) == pytest.approx(
        ep.max_steps * ep.dt
    )


def test_run_rejects_bad_budget() -> None:
    from aerena.errors import UserError
    from aerena.training.run import run_experiment

    with pytest.raises(UserError, match="--minutes"):
        run_experiment("tiny", 0, 0)


@pytest.mark.slow
def test_aerena_run_half_a_minute(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "aerena.cli", "run", "tiny", "--minutes", "0.5",
         "--episodes", "4", "--seed", "1", "--out", str(tmp_path), "--no-live"],
        capture_output=True, text=True, timeout=400, env={"OMP_NUM_THREADS": "1",
        **__import__("os").environ},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    (run_dir,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert f"run folder: {run_dir}" in out.stdout
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["stop_reason"].startswith("wall time reached 30")
    assert (run_dir / "curves.png").is_file()
    report = json.loads((run_dir / "evaluation.json").read_text())
    assert report["side"] == "defender" and report["episodes"] == 4
    assert len(report["learned"]["episodes"]) == len(report["scripted"]["episodes"]) == 4
    seeds = [e["seed"] for e in report["learned"]["episodes"]]
    assert (
        seeds
        == [e["seed"] for e in report["scripted"]["episodes"]]
        == [10001 + i for i in range(4)]
    )
    for label in ("learned", "scripted"):
        (replay,) = (run_dir / "replays" / label).glob("*.npz")
        from aerena.envs.airdefense.recording import load_replay

        assert load_replay(replay).frames > 1
    assert "learned: mean" in out.stdout
    # a quiet console: Ray's and RLlib's notices are in the run folder's log, not on stderr;
    # every path is printed once
    log = (run_dir / "ray.log").read_text(errors="replace")
    # e.g. Ray's token notice or RLlib's new-API-stack warning (which ones depends on Ray)
    assert any(k in log for k in ("Ray", "RLModule", "rllib", "algorithm_config")), log[:500]
    assert "imitation" not in log  # aerena's own progress lines stay on the console
    for noise in ("WARNING", "DeprecationWarning", "core_worker", "Token", "INFO"):
        assert noise not in out.stderr, out.stderr[-2000:]
    for label in ("run folder:", "checkpoint:", "curves:", "evaluation:", "ray log:"):
        assert out.stdout.count(label) == 1, (label, out.stdout)

"""benchmarks/baseline_table.py: aggregation, resume states and bad input on synthetic cell
folders; one slow smoke test that really trains and evaluates one tiny cell."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from aerena.errors import UserError
from aerena.training.checkpoints import STATE_FILE
from aerena.training.config import load_experiment
from aerena.training.progress import run_times
from tests.quick_runs import QUICK_RUN
from tests.scripts import load_script

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "training" / "experiments" / "tiny_defender.yaml"


def _load() -> ModuleType:
    return load_script("benchmarks/baseline_table.py")


@pytest.fixture(scope="module")
def bt() -> ModuleType:
    return _load()


def _summary(mean: float, lo: float, hi: float) -> dict:
    return {"asset_value_saved": {"mean": mean, "ci95": [lo, hi]}}


def _cell(bt: ModuleType, task: str, algo: str, seed: int, score: float, curve: list) -> dict:
    return {
        "task": task, "algo": algo, "seed": seed,
        "overrides": json.loads(json.dumps(bt.cell_overrides(TINY, algo, seed, 30.0))),
        "run_dir": "x", "iterations": 10 + seed, "env_steps": 1000 * (seed + 1),
        "rl_s": 30.0 + seed, "imitation_s": 0.0, "cell_wall_s": 50.0,
        "stop_reason": "wall time reached 30 s", "checkpoint": "x", "scenario": "tiny",
        "side": "defender", "episodes": 200, "eval_seed": bt.EVAL_SEED,
        "learned": _summary(score, score - 0.1, score + 0.1),
        "scripted": _summary(0.5, 0.4, 0.6), "curve": curve,
        "sampled": _summary(score / 2, score / 2 - 0.1, score / 2 + 0.1) if seed < 2 else None,
    }  # fmt: skip


# --------------------------------------------------------------------------------------
# Aggregation
# --------------------------------------------------------------------------------------
def test_interval_is_the_t_interval_of_the_mean(bt: ModuleType) -> None:
    got = bt.interval([1.0, 2.0, 3.0])
    half = 4.302652729911275 * 1.0 / math.sqrt(3)  # t(0.975, 2) x sd / sqrt(n)
    assert got["mean"] == pytest.approx(2.0)
    # rollout.t_quantile_975 is an approximation of the quantile (4.3030 here)
    assert got["ci95"] == pytest.approx([2.0 - half, 2.0 + half], rel=1e-3)
    one = bt.interval([0.7])
    assert one["mean"] == 0.7 and all(math.isnan(v) for v in one["ci95"])


def test_table_rows_group_by_task_and_algorithm(bt: ModuleType) -> None:
    cells = [
        _cell(bt, "tiny", "PPO", 2, 0.9, []),
        _cell(bt, "tiny", "PPO", 0, 0.5, []),
        _cell(bt, "tiny", "PPO", 1, 0.7, []),
        _cell(bt, "tiny", "APPO", 0, 0.2, []),
    ]
    rows = bt.table_rows(cells)
    assert [(r["task"], r["algo"]) for r in rows] == [("tiny", "PPO"), ("tiny", "APPO")]
    ppo = rows[0]
    assert ppo["seeds"] == [0, 1, 2]
    assert ppo["per_seed"] == [0.5, 0.7, 0.9]
    assert ppo["per_seed_ci95"][0] == pytest.approx([0.4, 0.6])
    assert ppo["score"] == bt.interval([0.5, 0.7, 0.9])
    assert ppo["rl_s"] == pytest.approx(31.0) and ppo["env_steps"] == pytest.approx(2000.0)
    assert ppo["scripted"] == {"mean": 0.5, "ci95": [0.4, 0.6]}
    # sampled play: the interval over the seeds that have it (seed 2's cell ran before)
    assert ppo["sampled_seeds"] == 2 and ppo["sampled"] == bt.interval([0.25, 0.35])
    table = bt.markdown_table(rows)
    lines = table.splitlines()
    assert len(lines) == 4 and lines[0].startswith("| task |")
    lo, hi = ppo["score"]["ci95"]
    assert (
        f"| tiny defender | PPO | 3 | 0.700 [{lo:.3f}, {hi:.3f}] | 0.500, 0.700, 0.900 |"
        in (lines[2])
    )
    assert (
        "| tiny defender | APPO | 1 | 0.200 | 0.200 | 0.100 | 0.500 [0.400, 0.600] | 30 |"
        in (lines[3])
    )


def test_mean_curve_over_runs_of_different_lengths(bt: ModuleType) -> None:
    long = [[0.0, 0.0], [10.0, 10.0]]
    short = [[0.0, 2.0], [5.0, 7.0]]
    x, m, lo, hi, n = bt.mean_curve([long, short, []], points=11)
    assert list(n) == [2] * 6 + [1] * 5
    assert x == pytest.approx(np.arange(11.0))
    # x <= 5: both runs (long = x, short = x + 2); beyond: the long run alone
    assert m[:6] == pytest.approx(np.arange(6.0) + 1.0)
    assert lo[:6] == pytest.approx(np.arange(6.0)) and hi[:6] == pytest.approx(np.arange(6.0) + 2)
    assert m[6:] == pytest.approx(np.arange(6.0, 11.0)) and lo[6:] == pytest.approx(hi[6:])
    empty = bt.mean_curve([])
    assert all(len(a) == 0 for a in empty)


def test_curve_skips_iterations_without_episodes(bt: ModuleType, tmp_path: Path) -> None:
    lines = [
        {"iteration": 1, "env_steps": 100, "time_s": 1.0, "asset_value_saved": None},
        {"iteration": 2, "env_steps": 200, "time_s": 2.0, "asset_value_saved": 0.5},
    ]
    (tmp_path / "progress.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    assert bt.curve(tmp_path) == [[200.0, 0.5]]


def test_run_times_reads_summary_and_imitation(tmp_path: Path) -> None:
    assert math.isnan(run_times(tmp_path)["rl_s"])
    (tmp_path / "summary.json").write_text(json.dumps({"time_s": 12.5}))
    rep = {"collect_time_s": 3.0, "roles": {"launcher": {"fit_time_s": 1.5}}}
    (tmp_path / "imitation.json").write_text(json.dumps(rep))
    assert run_times(tmp_path) == {"rl_s": 12.5, "imitation_s": 4.5}


# --------------------------------------------------------------------------------------
# Cells: overrides and resume states
# --------------------------------------------------------------------------------------
def test_time_budget_is_the_only_stop(bt: ModuleType) -> None:
    ov = bt.cell_overrides(TINY, "IMPALA", 2, 90.0, {"model.dim": 16})
    exp = load_experiment(TINY, ov).config
    assert exp.algorithm.name == "IMPALA" and exp.seed == 2 and exp.model.dim == 16
    s = exp.stop
    assert (s.time_s, s.iterations, s.env_steps, s.target) == (90.0, None, None, None)
    recipe = load_experiment(TINY, bt.cell_overrides(TINY, "PPO", 0, None))
    assert recipe.config.stop.iterations == 50 and recipe.config.stop.target is not None


def test_appo_and_impala_get_the_recipes_sample_reuse(bt: ModuleType) -> None:
    """The cells change only algorithm and seed: APPO / IMPALA's epochs and minibatches
    come from the experiment itself (training.algorithm.vtrace_reuse), and every recipe
    passes RLlib's checks with every algorithm."""
    pytest.importorskip("ray.rllib")
    from aerena.training.train import build_algorithm_config

    assert set(bt.cell_overrides(TINY, "APPO", 0, None)) == {"algorithm.name", "seed"}
    for algo in ("APPO", "IMPALA"):
        exp = load_experiment(TINY, bt.cell_overrides(TINY, algo, 0, 90.0)).config
        config = build_algorithm_config(exp)
        config.validate()  # RLlib: minibatch a multiple of the fragment, v-trace
        # tiny: 2000-step batches, 1 runner x 8 worlds -> fragments of 250; 4 epochs of 250
        assert (config.num_epochs, config.minibatch_size) == (4, 250)
        assert config.rollout_fragment_length == 250
    for recipe in sorted(bt.RECIPES.glob("*.yaml")):
        for algo in ("APPO", "IMPALA"):
            build_algorithm_config(
                load_experiment(recipe, {"algorithm.name": algo}).config
            ).validate()


def _run_folder(cell: Path, checkpoint: bool, reason: str | None) -> Path:
    run = cell / "tiny-defender-20260101-000000"
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.yaml").write_text("scenario: tiny\n")
    if checkpoint:
        ck = run / "checkpoints" / "iter_000002"
        ck.mkdir()
        (ck / STATE_FILE).write_text(json.dumps({"iteration": 2}))
    if reason is not None:
        (run / "summary.json").write_text(json.dumps({"stop_reason": reason, "time_s": 1.0}))
    return run


@pytest.mark.parametrize(
    ("checkpoint", "reason", "state"),
    [
        (False, None, "start"),  # killed before its first checkpoint
        (True, None, "resume"),  # killed later: no summary
        (True, "interrupted", "resume"),  # Ctrl-C
        (False, "interrupted", "start"),
        (True, "wall time reached 90 s", "evaluate"),
    ],
)
def test_cell_state(bt: ModuleType, tmp_path: Path, checkpoint: bool, reason: str | None,
                    state: str) -> None:  # fmt: skip
    assert bt.cell_state(tmp_path) == "start"
    run = _run_folder(tmp_path, checkpoint, reason)
    assert bt.find_run(tmp_path) == run
    assert bt.cell_state(tmp_path) == state
    (tmp_path / bt.CELL_FILE).write_text("{}")
    assert bt.cell_state(tmp_path) == "done"


def _done_cells(bt: ModuleType, runs: Path, scores: dict) -> None:
    for (algo, seed), score in scores.items():
        cell = bt.cell_dir(runs, "tiny", algo, seed)
        cell.mkdir(parents=True)
        curve = [[100.0 * (i + 1), score * i / 4] for i in range(5 + seed)]
        (cell / bt.CELL_FILE).write_text(json.dumps(_cell(bt, "tiny", algo, seed, score, curve)))


def test_done_cells_are_skipped_and_aggregated(bt: ModuleType, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture) -> None:  # fmt: skip
    runs, out = tmp_path / "runs", tmp_path / "res" / "table.json"
    _done_cells(bt, runs, {("PPO", 0): 0.5, ("PPO", 1): 0.7, ("APPO", 0): 0.2, ("APPO", 1): 0.4})
    monkeypatch.setitem(bt.TASKS, "nope", bt.Task("no such task", "no_such_recipe.yaml"))

    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("a done cell was run again")

    monkeypatch.setattr(bt, "run_cell", no_training)
    argv = ["--tasks", "tiny", "nope", "--algos", "ppo", "APPO", "--seeds", "0", "1"]
    rc = bt.main([*argv, "--time-s", "30", "--runs-dir", str(runs), "--out", str(out)])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "skip nope: no recipe training/experiments/no_such_recipe.yaml" in printed
    assert printed.count("done before") == 4
    data = json.loads(out.read_text())
    assert data["schema_version"] == bt.SCHEMA_VERSION
    assert data["skipped"] == [
        {"task": "nope", "reason": "no recipe training/experiments/no_such_recipe.yaml"}
    ]
    assert [(r["algo"], r["per_seed"]) for r in data["rows"]] == [
        ("PPO", [0.5, 0.7]),
        ("APPO", [0.2, 0.4]),
    ]
    assert data["rows"][0]["score"] == bt.interval([0.5, 0.7])
    assert out.with_suffix(".md").read_text() == bt.markdown_table(data["rows"])
    png = out.with_name("table_tiny.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in out.parent.iterdir()) == [
        "table.json",
        "table.md",
        "table_tiny.png",
    ]  # no temporary file left


def _one_error_line(capsys: pytest.CaptureFixture) -> str:
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("error: "), err
    return err


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--tasks", "tinyy"], "unknown task 'tinyy'"),
        (["--algos", "PPO", "DQN"], "unknown algorithm 'DQN'"),
        (["--set", "seed=4"], "--set seed"),
        (["--set", "algorithm.lrr=1"], "did you mean 'lr'"),
        (["--time-s", "0"], "--time-s must be > 0"),
    ],
)
def test_bad_input_is_one_error_line(bt: ModuleType, tmp_path: Path, argv: list, says: str,
                                     capsys: pytest.CaptureFixture) -> None:  # fmt: skip
    out = tmp_path / "t.json"
    assert bt.main([*argv, "--runs-dir", str(tmp_path / "r"), "--out", str(out)]) == 2
    assert says in _one_error_line(capsys)
    assert not out.exists()


def test_cell_run_with_other_settings_is_refused(
    bt: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    runs = tmp_path / "runs"
    _done_cells(bt, runs, {("PPO", 0): 0.5})  # run with --time-s 30
    argv = ["--tasks", "tiny", "--algos", "PPO", "--seeds", "0", "--time-s", "60"]
    assert bt.main([*argv, "--runs-dir", str(runs), "--out", str(tmp_path / "t.json")]) == 2
    assert "was run with" in _one_error_line(capsys)
    with pytest.raises(UserError, match="remove the cell folder"):
        bt.stored_cell(bt.cell_dir(runs, "tiny", "PPO", 0), bt.cell_overrides(TINY, "PPO", 0, None))


# --------------------------------------------------------------------------------------
# Smoke: one real cell
# --------------------------------------------------------------------------------------
SMOKE = [
    *(f"{k}={v}" for k, v in QUICK_RUN.items()),
    "stop.iterations=1",
    "algorithm.train_batch_size=128",
    "resources.num_envs_per_env_runner=4",
]


@pytest.mark.slow
def test_one_tiny_cell_trains_evaluates_and_resumes(bt: ModuleType, tmp_path: Path) -> None:
    runs, out = tmp_path / "runs", tmp_path / "table.json"
    sets = [x for s in SMOKE for x in ("--set", s)]
    argv = ["--tasks", "tiny", "--algos", "PPO", "--seeds", "0", "--episodes", "4", *sets]
    assert bt.main([*argv, "--runs-dir", str(runs), "--out", str(out)]) == 0
    cell = bt.cell_dir(runs, "tiny", "PPO", 0)
    res = json.loads((cell / bt.CELL_FILE).read_text())
    assert res["iterations"] == 1 and res["env_steps"] >= 128
    assert res["episodes"] == 4 and res["eval_seed"] == bt.EVAL_SEED
    assert res["side"] == "defender" and res["stop_reason"] == "iterations reached 1"
    assert set(res["learned"]) >= {"asset_value_saved", "win_rate"}
    data = json.loads(out.read_text())
    assert [r["per_seed"] for r in data["rows"]] == [[res["learned"]["asset_value_saved"]["mean"]]]
    # lose the result: the finished run is evaluated again, not retrained
    (cell / bt.CELL_FILE).unlink()
    assert bt.cell_state(cell) == "evaluate"
    assert bt.main([*argv, "--runs-dir", str(runs), "--out", str(out)]) == 0
    again = json.loads((cell / bt.CELL_FILE).read_text())
    assert again["run_dir"] == res["run_dir"] and again["learned"] == res["learned"]
    assert (cell / "cell.log").read_text().count("$ aerena train") == 1
    # a run killed before its summary: resumed from its checkpoint (nothing left to train)
    (cell / bt.CELL_FILE).unlink()
    (Path(res["run_dir"]) / "summary.json").unlink()
    assert bt.cell_state(cell) == "resume"
    assert bt.main([*argv, "--runs-dir", str(runs), "--out", str(out)]) == 0
    log = (cell / "cell.log").read_text()
    assert log.count("$ aerena train") == 2 and log.count("$ aerena train --resume") == 1
    assert json.loads((cell / bt.CELL_FILE).read_text())["learned"] == res["learned"]

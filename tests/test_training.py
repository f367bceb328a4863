"""Training: experiment schema, CLI, the side env, a short PPO run with resume, evaluate."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from aerena.training.config import (
    ExperimentError,
    experiment_for_scenario,
    load_experiment,
)

EXPERIMENTS = Path(__file__).resolve().parents[1] / "training" / "experiments"


# --------------------------------------------------------------------------------------
# Experiment schema
# --------------------------------------------------------------------------------------
def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "exp.yaml"
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def test_misspelt_key_is_located_with_did_you_mean(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        """\
        name: t
        scenario: tiny
        algorithm:
          name: PPO
          entropy_coef: 0.1
        resources:
          num_env_runner: 2
        """,
    )
    with pytest.raises(ExperimentError) as info:
        load_experiment(p)
    msg = str(info.value)
    assert msg.startswith(f"2 errors in {p}")
    assert f"{p}:5:3: algorithm.entropy_coef: unknown field; did you mean 'entropy_coeff'?" in msg
    assert (
        f"{p}:7:3: resources.num_env_runner: unknown field; did you mean 'num_env_runners'?" in msg
    )


def test_bad_values_are_located(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        """\
        scenario: tiny
        learn: defence
        model: {dim: 30, heads: 4}
        stop: {iterations: null}
        """,
    )
    with pytest.raises(ExperimentError) as info:
        load_experiment(p)
    msg = str(info.value)
    assert f"{p}:2:1: learn: expected one of 'attacker', 'defender' or 'both'" in msg
    assert f"{p}:3:1: model: dim (30) must be a multiple of heads (4)" in msg
    assert "set at least one of iterations, env_steps, time_s" in msg


def test_whole_file_checks_point_at_the_key_they_name(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        """        scenario: tiny
        learn: attacker
        seed: 3
        init:
          imitate: scripted
          freeze: [radar]
        """,
    )
    with pytest.raises(ExperimentError) as info:
        load_experiment(p)
    assert f"{p}:6:3: init.freeze: radar not a role of the attacker" in str(info.value)


def test_set_overrides_and_their_errors() -> None:
    loaded = experiment_for_scenario(
        "tiny",
        {"algorithm.lr": 1e-3, "overrides.episode.max_steps": 50, "stop.target.metric": "win_rate",
         "stop.target.value": 0.5},
    )  # fmt: skip
    cfg = loaded.config
    assert cfg.algorithm.lr == 1e-3 and cfg.overrides == {"episode.max_steps": 50}
    assert cfg.stop.target is not None and cfg.stop.target.value == 0.5
    assert cfg.name == "tiny" and cfg.roles == ["launcher", "radar"]
    with pytest.raises(ExperimentError, match="did you mean 'lr'"):
        experiment_for_scenario("tiny", {"algorithm.lrr": 1})
    with pytest.raises(ExperimentError, match="--set algorithm.name: algorithm.name: expected one"):
        experiment_for_scenario("tiny", {"algorithm.name": "DQN"})


def test_shipped_experiments_validate() -> None:
    files = sorted(EXPERIMENTS.glob("*.yaml"))
    assert files
    for f in files:
        cfg = load_experiment(f).config
        assert cfg.scenario


def test_yaml_syntax_error_is_located(tmp_path: Path) -> None:
    p = _write(tmp_path, "scenario: tiny\nalgorithm: {name: PPO\n")
    with pytest.raises(ExperimentError, match=r"exp.yaml:\d+:\d+: invalid YAML"):
        load_experiment(p)


# --------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------
def test_cli_train_help(capsys: pytest.CaptureFixture[str]) -> None:
    from aerena.cli import main

    for cmd in ("train", "evaluate"):
        with pytest.raises(SystemExit) as info:
            main([cmd, "--help"])
        assert info.value.code == 0
    out = capsys.readouterr().out
    assert "--resume" in out and "--address" in out and "--episodes" in out


def test_cli_help_does_not_import_torch_or_ray() -> None:
    code = (
        "import sys\n"
        "from aerena.cli import build_parser\n"
        "p = build_parser()\n"
        "try:\n    p.parse_args(['train', '--help'])\nexcept SystemExit:\n    pass\n"
        "bad = [m for m in ('torch', 'ray') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "--scenario" in r.stdout


def test_cli_train_needs_one_source(capsys: pytest.CaptureFixture[str]) -> None:
    from aerena.cli import main

    assert main(["train"]) == 2
    assert "exactly one of" in capsys.readouterr().err
    assert main(["train", "--scenario", "tiny", "--set", "algorithm.lrr=1"]) == 2
    assert "did you mean 'lr'" in capsys.readouterr().err


# --------------------------------------------------------------------------------------
# Stop criteria, progress view, curves, statistics
# --------------------------------------------------------------------------------------
def _rec(i: int, episodes: float, win: float) -> dict:
    return {"iteration": i, "env_steps": 100 * i, "time_s": 2.0 * i, "episodes": episodes,
            "win_rate": win, "steps_per_s": 50.0, "return_attacker": -win,
            "return_defender": win, "leakers": 0.0, "kills": 1.0}  # fmt: skip


def test_stop_reasons() -> None:
    from aerena.training.progress import recent_metric
    from aerena.training.train import stop_reason

    cfg = experiment_for_scenario(
        "tiny",
        {"stop.iterations": 10, "stop.target": {"metric": "win_rate", "value": 0.8,
                                                "min_episodes": 10}},
    ).config  # fmt: skip
    recs = [_rec(1, 4, 1.0), _rec(2, 4, 1.0)]
    assert recent_metric(recs, "win_rate", 10) != recent_metric(recs, "win_rate", 10)  # NaN
    assert stop_reason(recs, cfg) is None  # 8 episodes < min_episodes
    recs.append(_rec(3, 4, 0.5))
    assert recent_metric(recs, "win_rate", 10) == pytest.approx((0.5 * 4 + 4 + 4) / 12)
    assert "win_rate" in (stop_reason(recs, cfg) or "")
    recs.append(_rec(10, 0, float("nan")))
    assert stop_reason(recs, cfg) == "iterations reached 10"


def test_progress_view_and_curves(tmp_path: Path) -> None:
    import io

    from aerena.training.progress import ProgressView, plot_curves, read_records, write_record

    cfg = experiment_for_scenario("tiny").config
    for i in range(1, 4):
        write_record(tmp_path / "p.jsonl", _rec(i, 3, float("nan") if i == 2 else 0.5))
    recs = read_records(tmp_path / "p.jsonl")
    assert len(recs) == 3 and recs[1]["win_rate"] != recs[1]["win_rate"]
    for live in (True, False):
        out = io.StringIO()
        with ProgressView("run", cfg.stop, live=live, file=out) as view:
            for r in recs:
                view.update(r)
        text = out.getvalue()
        assert "300" in text and ("time left" in text or "left" in text)
    pytest.importorskip("matplotlib")
    png = plot_curves(recs, tmp_path / "curves.png", "run")
    assert png is not None and png.stat().st_size > 1000


def test_interval_statistics() -> None:
    from aerena.training.evaluate import ratio_bootstrap, side_table, wilson

    lo, hi = wilson(8, 10)
    assert 0.44 < lo < 0.5 and 0.94 < hi < 0.98
    assert wilson(0, 5)[0] == 0.0
    lo, hi = ratio_bootstrap(np.array([2.0, 3.0, 2.0, 4.0]), np.array([1.0, 2.0, 1.0, 2.0]))
    assert lo <= 11 / 6 <= hi
    row = {"winner": "defender", "asset_value_saved": 1.0, "leakers": 0, "uavs_lost_total": 3,
           "kills": 3, "interceptors_used": 4, "return_defender": 0.5}  # fmt: skip
    table = side_table([row, {**row, "winner": "attacker", "kills": 1}], "defender")
    assert table["win_rate"]["mean"] == 0.5
    assert table["interceptors_per_kill"]["mean"] == pytest.approx(8 / 4)


# --------------------------------------------------------------------------------------
# The side env
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("learn", "opponent"), [("defender", "scripted"), ("attacker", "random")])
def test_side_env_plays_the_opponent(learn: str, opponent: str) -> None:
    pytest.importorskip("ray.rllib")
    from ray.rllib.utils.pre_checks.env import check_multiagent_environments

    from aerena.training.side_env import SideEnv

    env = SideEnv({"scenario": "tiny", "learn": learn, "opponent": opponent, "seed": 3})
    prefix = ("uav",) if learn == "attacker" else ("launcher", "radar")
    assert env.possible_agents and all(a.startswith(prefix) for a in env.possible_agents)
    check_multiagent_environments(env)
    rng = np.random.default_rng(0)
    for episode in range(2):
        obs, _ = env.reset(seed=episode)
        assert obs and set(obs) == set(env.agents)
        done: set[str] = set()
        while True:
            acts = {a: int(rng.choice(np.flatnonzero(o["action_mask"]))) for a, o in obs.items()
                    if a not in done}  # fmt: skip
            obs, rew, term, trunc, _ = env.step(acts)
            assert set(obs) <= set(env.possible_agents)
            assert set(rew) <= set(env.possible_agents)
            done |= {a for a in obs if term.get(a) or trunc.get(a)}
            assert done.isdisjoint(env.agents)
            if term["__all__"] or trunc["__all__"]:
                break
            obs = {a: o for a, o in obs.items() if a not in done}
        last = env.last_episode
        assert last is not None and last["winner"] in ("attacker", "defender")
        assert last["return_attacker"] == pytest.approx(-last["return_defender"])  # zero-sum tiny
        assert env.world.state.invalid_count.sum() == 0


# --------------------------------------------------------------------------------------
# Training (RLlib PPO on tiny), resume, evaluate
# --------------------------------------------------------------------------------------
@pytest.mark.slow
def test_ppo_two_iterations_checkpoint_resume_evaluate(tmp_path: Path, ray_local: None) -> None:
    from quick_runs import QUICK_RUN

    from aerena.training.evaluate import evaluate
    from aerena.training.train import latest_checkpoint, train

    overrides = {
        **QUICK_RUN,
        "name": "smoke",
        "algorithm.train_batch_size": 128,
        "stop.iterations": 2,
        "checkpoint.every": 1,
        "checkpoint.keep": 1,
    }
    exp = experiment_for_scenario("tiny", overrides)
    res = train(exp, runs_dir=tmp_path, live=False)
    run = res.run_dir
    assert res.iterations == 2 and res.env_steps >= 256
    assert res.stop_reason == "iterations reached 2"
    assert (run / "config.yaml").is_file() and (run / "curves.png").stat().st_size > 0
    ck = latest_checkpoint(run)
    assert ck is not None and ck.name == "iter_000002"
    assert sorted(p.name for p in (run / "checkpoints").glob("iter_*")) == ["iter_000002"]
    assert not list((run / "checkpoints").glob(".tmp-*"))
    recs = [json.loads(x) for x in (run / "progress.jsonl").read_text().splitlines()]
    assert [r["iteration"] for r in recs] == [1, 2]

    # resume: the iteration counter (and env steps) continue from the checkpoint
    res2 = train(resume=run, overrides={"stop.iterations": 3}, live=False)
    assert res2.run_dir == run and res2.iterations == 3
    assert res2.env_steps > res.env_steps
    recs = [json.loads(x) for x in (run / "progress.jsonl").read_text().splitlines()]
    assert [r["iteration"] for r in recs] == [1, 2, 3]
    assert latest_checkpoint(run).name == "iter_000003"

    report = evaluate(run, episodes=3, worlds=3)
    assert report["side"] == "defender" and report["opponent"] == "scripted"
    for label in ("learned", "scripted"):
        assert len(report["learned"]["episodes"]) == 3
        assert 0.0 <= report[label]["summary"]["win_rate"]["mean"] <= 1.0
    seeds = [r["seed"] for r in report["learned"]["episodes"]]
    assert seeds == [r["seed"] for r in report["scripted"]["episodes"]]
    # the seed convention: evaluate's scripted baseline plays the episodes of aerena rollout
    from aerena.envs.airdefense.rollout import run_rollouts

    cfg = exp.config
    ref = run_rollouts(
        cfg.scenario, episodes=3, seed=report["seed"], worlds=2, overrides=dict(cfg.overrides)
    )
    assert report["scripted"]["episodes"] == ref["episodes"]

"""Curriculum over scenario parameters (`curriculum:`, aerena.training.curriculum): the
stage schedule from progress records (iterations, early advance, resume), validation, and
env runners that really play each stage's scenario."""

from __future__ import annotations

import json
from typing import Any

import pytest

from aerena.envs.airdefense.world import World
from aerena.errors import UserError
from aerena.training.config import ExperimentError, experiment_for_scenario
from aerena.training.curriculum import check_stages, stage_after, stage_overrides
from tests.quick_runs import QUICK_RUN

STAGES = [
    {"iterations": 2, "overrides": {"episode.max_steps": 60}},
    {
        "iterations": 5,
        "overrides": {"episode.max_steps": 120},
        "advance": {"metric": "win_rate", "value": 0.5, "min_episodes": 4},
    },
]


def _exp(**extra: Any) -> Any:
    return experiment_for_scenario("tiny", {"curriculum": STAGES, **extra}).config


def _recs(*stages_and_wins: tuple[int, float]) -> list[dict[str, Any]]:
    return [
        {"iteration": i + 1, "stage": s, "episodes": 2, "win_rate": w}
        for i, (s, w) in enumerate(stages_and_wins)
    ]


def test_schedule_by_iterations_and_early_advance() -> None:
    exp = _exp()
    assert stage_after([], exp) == 0
    assert stage_after(_recs((0, 0)), exp) == 0
    assert stage_after(_recs((0, 0), (0, 0)), exp) == 1  # stage 0's 2 iterations are done
    # stage 1 advances once its own last 4 episodes win half: stage 0's wins do not count
    assert stage_after(_recs((0, 1), (0, 1), (1, 1)), exp) == 1  # 2 of the 4 episodes
    assert stage_after(_recs((0, 1), (0, 1), (1, 0), (1, 0.4)), exp) == 1  # 0.2 < 0.5
    assert stage_after(_recs((0, 0), (0, 0), (1, 0), (1, 1)), exp) == 2  # 0.5 over 4
    # or after its 5 iterations, whatever the win rate; then the experiment's own scenario
    assert stage_after(_recs((0, 0), (0, 0), *[(1, 0)] * 5), exp) == 2
    assert stage_after(_recs((0, 0), (0, 0), *[(1, 0)] * 5, (2, 0)), exp) == 2
    assert stage_overrides(exp, 0)["episode.max_steps"] == 60
    assert "episode.max_steps" not in stage_overrides(exp, 2)


def test_no_curriculum_is_stage_zero_of_zero() -> None:
    exp = experiment_for_scenario("tiny").config
    assert stage_after([], exp) == 0 and stage_after(_recs((0, 0)), exp) == 0


def test_validation() -> None:
    with pytest.raises(ExperimentError, match="curriculum: needs resources.sampler: batched"):
        _exp(**{"resources.sampler": "single", "resources.num_envs_per_env_runner": 1})
    with pytest.raises(ExperimentError, match="iterations"):
        experiment_for_scenario("tiny", {"curriculum": [{"overrides": {}}]})
    bad = experiment_for_scenario(
        "tiny", {"curriculum": [{"iterations": 1, "overrides": {"episode.max_stepz": 5}}]}
    ).config
    with pytest.raises(UserError, match=r"curriculum\[0\]\.overrides"):
        check_stages(bad, World("tiny", 1))
    k = experiment_for_scenario(
        "tiny", {"curriculum": [{"iterations": 1, "overrides": {"observation.k": 3}}]}
    ).config
    with pytest.raises(UserError, match="observation sizes"):
        check_stages(k, World("tiny", 1))
    check_stages(_exp(), World("tiny", 1))


def test_runners_play_each_stage_and_a_resumed_run_keeps_its_stage(
    tmp_path: Any, ray_local: Any
) -> None:
    from aerena.training.curriculum import apply_stage
    from aerena.training.train import build_algorithm_config, train

    ov = {**QUICK_RUN, "algorithm.train_batch_size": 200, "resources.num_envs_per_env_runner": 4,
          "stop.iterations": 3, "checkpoint.every": 1, "curriculum": STAGES}  # fmt: skip
    exp = experiment_for_scenario("tiny", ov).config
    algo = build_algorithm_config(exp).build_algo()
    try:
        for stage, steps in [(0, 60), (1, 120), (2, exp_default_steps())]:
            apply_stage(algo, exp, stage)
            got = algo.env_runner_group.foreach_env_runner(
                lambda r: (
                    r.sampler.world.scenario.episode.max_steps if r.sampler is not None else None
                ),
                local_env_runner=True,
            )
            assert [g for g in got if g is not None] and all(
                g == steps for g in got if g is not None
            ), (stage, got)
            algo.train()  # the rebuilt worlds sample
    finally:
        algo.stop()
    res = train(exp, runs_dir=tmp_path, file=open("/dev/null", "w"))  # noqa: SIM115
    stages = [json.loads(x)["stage"] for x in (res.run_dir / "progress.jsonl").open()]
    assert stages == [0, 0, 1]
    again = train(resume=res.run_dir, overrides={"stop.iterations": 4},
                  file=open("/dev/null", "w"))  # noqa: SIM115  # fmt: skip
    stages = [json.loads(x)["stage"] for x in (again.run_dir / "progress.jsonl").open()]
    assert stages == [0, 0, 1, 1]


def exp_default_steps() -> int:
    from aerena.scenarios.loader import load_scenario

    return int(load_scenario("tiny").episode.max_steps)

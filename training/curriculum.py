"""A curriculum over scenario parameters (`curriculum:` in an experiment).

Each stage is a set of dotted scenario overrides played on top of the experiment's own
(`overrides`) for at most `iterations` training iterations, or until its optional
`advance` target is reached over the stage's own iterations (e.g. `win_rate >= 0.6` over
its last 40 episodes). After the last stage the experiment's scenario, as written, is
played to the end of the run: evaluation, checkpoints' play and the league score that one.

    curriculum:
      - {iterations: 60, overrides: {defender.launchers.0.overrides.stock: 2}}
      - {iterations: 60, advance: {metric: win_rate, value: 0.5}, overrides: {...}}

The stage of each iteration is written into its progress record (`stage`), so the stage
follows from the records alone (:func:`stage_after`): a resumed run continues in the
stage it was in. On a change the batched env runners rebuild their worlds with the new
overrides (:meth:`aerena.training.batched_runner.BatchedEnvRunner.set_overrides`); the
stages must keep every role's observation and action spaces (the modules are the same).
"""

from __future__ import annotations

from typing import Any

from aerena.errors import UserError
from aerena.training.config import Experiment
from aerena.training.progress import target_reached


def stage_overrides(exp: Experiment, stage: int) -> dict[str, Any]:
    """The scenario overrides played in `stage` (len(curriculum): the experiment's own)."""
    merged = dict(exp.overrides)
    if stage < len(exp.curriculum):
        merged.update(exp.curriculum[stage].overrides)
    return merged


def stage_after(records: list[dict[str, Any]], exp: Experiment) -> int:
    """The stage the next iteration plays, from the progress records so far."""
    n = len(exp.curriculum)
    if not records or n == 0:
        return 0 if n else n
    stage = int(records[-1].get("stage", n))
    if stage >= n:
        return n
    mine = [r for r in records if r.get("stage") == stage]
    spec = exp.curriculum[stage]
    if len(mine) >= spec.iterations:
        return stage + 1
    if spec.advance is not None and target_reached(mine, spec.advance) is not None:
        return stage + 1
    return stage


def check_stages(exp: Experiment, base: Any) -> None:
    """Every stage's scenario loads and keeps the spaces of `base`, the experiment's own
    World (one UserError)."""
    if not exp.curriculum:
        return
    from aerena.envs.airdefense.world import World  # numba: only when a curriculum is given

    for k in range(len(exp.curriculum)):
        where = f"curriculum[{k}].overrides"
        try:
            w = World(exp.scenario, 1, **stage_overrides(exp, k))
        except (UserError, ValueError) as exc:
            raise UserError(f"{where}: {str(exc).splitlines()[0]}") from None
        shape, want = w.state.obs_ent.shape[2:], base.state.obs_ent.shape[2:]
        if shape != want or w.state.obs_self.shape[2:] != base.state.obs_self.shape[2:]:
            raise UserError(f"{where}: changes the observation sizes (e.g. observation.k)")


def apply_stage(algo: Any, exp: Experiment, stage: int) -> None:
    """Rebuild every batched env runner's worlds with the overrides of `stage`."""
    ov = stage_overrides(exp, stage)
    algo.env_runner_group.foreach_env_runner(
        lambda runner: runner.set_overrides(ov), local_env_runner=True
    )

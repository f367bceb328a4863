"""`aerena train`: the training recipe, top to bottom.

    aerena train training/experiments/tiny_defender.yaml
    aerena train --scenario tiny --set stop.iterations=20 --set learn=attacker
    aerena train --resume runs/tiny-defender-20260101-120000

1. **Config**: the experiment (:mod:`aerena.training.config`) and the run folder
   ``runs/<name>-<timestamp>/``: ``config.yaml`` (the resolved experiment),
   ``scenario.yaml`` (the merged scenario), ``progress.jsonl`` (one record per
   iteration, :mod:`aerena.training.progress`), ``checkpoints/iter_NNNNNN/`` (RLlib
   checkpoints, written to a temporary folder then renamed; ``checkpoints/latest`` names
   the newest), ``curves.png`` and ``summary.json`` at the end.
2. **Env**: the batched sampler (:mod:`aerena.training.batched_runner`: each env runner
   steps `num_envs_per_env_runner` worlds in one `World`, the other side played in one
   batched call), or with `resources.sampler: single` RLlib's own runner over
   :class:`~aerena.training.side_env.SideEnv` (the B = 1 path, for debugging); both play
   the same episodes.
3. **Algorithm**: PPO (or APPO / IMPALA) with one :class:`~aerena.agents.rl_module.
   EntityGNNModule` per role of the learning side (`uav`; `launcher`, `radar`), every agent
   of a role sharing it. With `init.imitate`, the modules are first behaviour-cloned from
   the scripted player (:mod:`aerena.training.imitation`; ``imitation.json``).
4. **Loop**: `algo.train()` until a stop criterion (iterations, env steps, wall time,
   target metric); a checkpoint every `checkpoint.every` iterations; Ctrl-C saves one too.
5. **Save**: the final checkpoint, the curves and the summary.

`--resume DIR` restores the newest checkpoint of a run folder (weights, optimiser,
iteration and step counters) and continues; the progress records after that checkpoint
are dropped (those iterations are played again); `--set` with `--resume` changes the
run's `config.yaml` (e.g. `--set stop.iterations=200` to train longer).

Ray: an embedded local instance of `resources.num_cpus` CPUs
(:func:`aerena.training.runtime.init_ray`) unless `--address` (`auto` or
`ray://host:port`) names a cluster.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aerena.envs.airdefense.world import World
from aerena.errors import UserError
from aerena.files import atomic_write_text
from aerena.training import trust, weights
from aerena.training.algorithm import (
    algorithm_config,
    env_config,  # noqa: F401  (public here too)
)
from aerena.training.checkpoints import STATE_FILE, latest_checkpoint
from aerena.training.config import Experiment, LoadedExperiment, load_experiment
from aerena.training.console import LOG_NAME, check_address, ray_log
from aerena.training.curriculum import apply_stage, check_stages, stage_after
from aerena.training.imitation import imitate, load_into_algorithm
from aerena.training.progress import (
    ProgressView,
    plot_curves,
    read_records,
    record_line,
    target_reached,
    write_record,
)
from aerena.training.runtime import init_ray, set_threads


@dataclass
class TrainResult:
    run_dir: Path
    checkpoint: Path | None
    iterations: int
    env_steps: int
    time_s: float
    stop_reason: str


# ======================================================================================
# 1. Config and run folder
# ======================================================================================
def make_run_dir(exp: Experiment, runs_dir: str | Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = Path(runs_dir) / f"{exp.name}-{stamp}"
    run, n = base, 1
    while run.exists():
        n += 1
        run = base.with_name(f"{base.name}-{n}")
    (run / "checkpoints").mkdir(parents=True)
    return run


def build_algorithm_config(exp: Experiment) -> Any:
    """The RLlib AlgorithmConfig of an experiment (env registered, one module per role):
    :func:`aerena.training.algorithm.algorithm_config` with SideEnv and, on the batched
    path (the default), its env runner."""
    from aerena.training.batched_runner import BatchedEnvRunner  # RLlib: heavy
    from aerena.training.side_env import SideEnv  # RLlib: heavy

    runner = BatchedEnvRunner if exp.resources.sampler == "batched" else None
    return algorithm_config(exp, SideEnv, runner)


def warm_start(algo: Any, config: Any, exp: Experiment, run_dir: Path, file: Any = None) -> None:
    """Behaviour-clone `exp.init.imitate` into the algorithm's modules (new runs only)."""

    out = file if file is not None else sys.stderr
    multi = config.rl_module_spec.build()
    modules = {role: multi[role] for role in multi.keys()}
    report = imitate(exp, modules, run_dir, log=lambda msg: print(msg, file=out, flush=True))
    load_into_algorithm(algo, {r: modules[r].state_dict() for r in report["roles"]})


def iteration_record(result: dict[str, Any], exp: Experiment, time_s: float, dt: float,
                     prev_steps: int) -> dict[str, Any]:  # fmt: skip
    """One progress record from an `algo.train()` result."""
    from aerena.training.callbacks import episode_stats  # RLlib: heavy

    runners = result.get("env_runners", {})
    steps = int(result.get("num_env_steps_sampled_lifetime", 0) or 0)
    stats = episode_stats(runners.get("aerena", {}), exp.learn)
    rec: dict[str, Any] = {
        "iteration": int(result["training_iteration"]),
        "env_steps": steps,
        "time_s": time_s,
        "steps_per_s": (steps - prev_steps) / dt if dt > 0 else math.nan,
        "episode_return_mean": float(runners.get("episode_return_mean", math.nan)),
    }
    rec.update(stats)
    # learner diagnostics per module: entropy and value-function explained variance
    for module, vals in (result.get("learners") or {}).items():
        if module.startswith("__") or not isinstance(vals, dict):
            continue
        for key in ("entropy", "vf_explained_var"):
            if key in vals:
                rec[f"{key}/{module}"] = float(vals[key])
    return rec


def checked_world(exp: Experiment) -> World:
    """The experiment's scenario as one World, its curriculum's stages checked against it
    (bad input ends here, before a run folder or Ray)."""
    world = World(exp.scenario, 1, **exp.overrides)
    check_stages(exp, world)
    return world


def stop_reason(records: list[dict[str, Any]], exp: Experiment) -> str | None:
    """Why to stop after the latest record (None: go on)."""
    s = exp.stop
    rec = records[-1]
    if s.iterations is not None and rec["iteration"] >= s.iterations:
        return f"iterations reached {s.iterations}"
    if s.env_steps is not None and rec["env_steps"] >= s.env_steps:
        return f"env steps reached {s.env_steps}"
    if s.time_s is not None and rec["time_s"] >= s.time_s:
        return f"wall time reached {s.time_s:g} s"
    if s.target is not None and (v := target_reached(records, s.target)) is not None:
        return f"{s.target.metric} = {v:.3g} reached the target {s.target.value:g}"
    return None


# ======================================================================================
# Checkpoints
# ======================================================================================
def save_checkpoint(algo: Any, run_dir: Path, rec: dict[str, Any], keep: int) -> Path:
    """Save atomically to checkpoints/iter_NNNNNN (temp folder, then rename)."""
    ck = run_dir / "checkpoints"
    name = f"iter_{rec['iteration']:06d}"
    final = ck / name
    tmp = ck / f".tmp-{name}"
    if tmp.exists():
        shutil.rmtree(tmp)
    algo.save_to_path(str(tmp.resolve()))
    save_checkpoint_weights(algo, tmp, (run_dir / "config.yaml").read_text(encoding="utf-8"))
    state = {k: rec[k] for k in ("iteration", "env_steps", "time_s")}
    (tmp / STATE_FILE).write_text(json.dumps(state), encoding="utf-8")
    trust.sign(tmp)  # what `load_modules` / --resume check before unpickling
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    pointer_tmp = ck / ".latest.tmp"
    pointer_tmp.write_text(name, encoding="utf-8")
    os.replace(pointer_tmp, ck / "latest")
    if keep > 0:
        done = sorted(p for p in ck.glob("iter_*") if p.is_dir())
        for old in done[:-keep]:
            shutil.rmtree(old, ignore_errors=True)
    return final


def save_checkpoint_weights(algo: Any, checkpoint: Path, experiment_yaml: str) -> Path:
    """The learner's modules of a checkpoint just written, as its ``weights/`` folder (the
    weights-only format: shared or played without the trust flag). Reads only the
    module states aerena itself just wrote, as plain arrays."""
    specs = algo.config.rl_module_spec.rl_module_specs
    base = checkpoint / "learner_group" / "learner" / "rl_module"
    modules = {}
    for role, spec in specs.items():
        module = spec.build()
        module.set_state(trust.load_module_state(base / role / "module_state.pkl"))
        modules[role] = module
    return weights.save_weights(modules, checkpoint / "weights", experiment_yaml)


# ======================================================================================
# The recipe
# ======================================================================================
def train(
    experiment: LoadedExperiment | Experiment | None = None,
    *,
    runs_dir: str | Path = "runs",
    resume: str | Path | None = None,
    overrides: dict[str, Any] | None = None,
    address: str | None = None,
    live: bool | None = None,
    file: Any = None,
    verbose: bool = False,
) -> TrainResult:
    """Run (or `resume`) an experiment; see the module docstring. Ray's and RLlib's
    messages go to the run folder's ``ray.log`` unless `verbose` (:mod:`.console`)."""
    # ---- 1. config and run folder ----
    check_address(address)  # before a run folder is made
    restore_from: Path | None = None
    prior_time = 0.0
    if resume is not None:
        run_dir = Path(resume)
        if not (run_dir / "config.yaml").is_file():
            raise UserError(f"--resume {run_dir}: not a run folder (no config.yaml)")
        exp = load_experiment(run_dir / "config.yaml", overrides).config
        world = checked_world(exp)
        restore_from = latest_checkpoint(run_dir)
        if restore_from is None:
            raise UserError(
                f"--resume {run_dir}: no usable checkpoint in {run_dir / 'checkpoints'}; "
                "nothing to resume from (start a new run instead)"
            )
        try:
            state = json.loads((restore_from / STATE_FILE).read_text(encoding="utf-8"))
            prior_time = float(state["time_s"])
            last = int(state["iteration"])
        except (OSError, ValueError, KeyError, TypeError):
            raise UserError(f"--resume {run_dir}: unreadable {restore_from / STATE_FILE}") from None
        # the records the checkpoint covers stay; later ones are redone (one atomic rewrite)
        kept = [r for r in read_records(run_dir / "progress.jsonl") if r["iteration"] <= last]
        atomic_write_text(run_dir / "progress.jsonl", "".join(record_line(r) for r in kept))
    else:
        if experiment is None:
            raise UserError("give an experiment file, --scenario NAME or --resume DIR")
        exp = experiment.config if isinstance(experiment, LoadedExperiment) else experiment
        world = checked_world(exp)  # before a run folder is made
        run_dir = make_run_dir(exp, runs_dir)
    atomic_write_text(run_dir / "config.yaml", exp.to_yaml())
    set_threads(exp.resources.torch_threads)

    # ---- 2-3. env and algorithm ----
    quiet = ray_log(run_dir / LOG_NAME, verbose)
    log, console_err = quiet.__enter__()  # aerena's own lines (imitation) stay on console_err
    try:
        started = init_ray(address, exp, log)
        config = build_algorithm_config(exp)
        atomic_write_text(run_dir / "scenario.yaml", world.scenario_text)
        algo = config.build_algo()
        if restore_from is not None:
            trust.require_trusted(restore_from)
            algo.restore_from_path(str(restore_from.resolve()))
        elif exp.init.imitate is not None:
            warm_start(algo, config, exp, run_dir, file if file is not None else console_err)

        # ---- 4. loop ----
        title = (
            f"{exp.name}: {exp.algorithm.name}, learn {exp.learn} vs {exp.opponent} "
            f"on {exp.scenario}"
        )
        records = read_records(run_dir / "progress.jsonl")
        rec: dict[str, Any] | None = records[-1] if records else None
        stage = stage_after(records, exp)
        if exp.curriculum:  # (a resumed run goes on in its stage)
            apply_stage(algo, exp, stage)
        prev_steps = int(rec["env_steps"]) if rec else 0
        start = time.perf_counter()
        checkpoint: Path | None = restore_from
        reason = "not started"
        if records and (r0 := stop_reason(records, exp)):
            reason = r0
        else:
            with ProgressView(title, exp.stop, live=live, file=file) as view:
                try:
                    while True:
                        t0 = time.perf_counter()
                        result = algo.train()
                        dt = time.perf_counter() - t0
                        elapsed = prior_time + time.perf_counter() - start
                        rec = iteration_record(result, exp, elapsed, dt, prev_steps)
                        if exp.curriculum:
                            rec["stage"] = stage
                        prev_steps = rec["env_steps"]
                        write_record(run_dir / "progress.jsonl", rec)
                        records.append(rec)
                        if exp.curriculum and (nxt := stage_after(records, exp)) != stage:
                            stage = nxt
                            apply_stage(algo, exp, stage)
                        view.update(rec)
                        reason = stop_reason(records, exp) or ""
                        every = exp.checkpoint.every
                        if reason or (every and rec["iteration"] % every == 0):
                            checkpoint = save_checkpoint(algo, run_dir, rec, exp.checkpoint.keep)
                        if reason:
                            break
                except KeyboardInterrupt:
                    reason = "interrupted"
                    if rec is not None:
                        try:  # Ctrl-C reaches the Ray workers too: saving may fail
                            checkpoint = save_checkpoint(algo, run_dir, rec, exp.checkpoint.keep)
                        except (Exception, KeyboardInterrupt) as exc:
                            print(f"interrupted: the last checkpoint stays ({type(exc).__name__} "
                                  "while saving a new one)", file=console_err)  # fmt: skip
                            checkpoint = latest_checkpoint(run_dir)

        # ---- 5. save ----
        algo.stop()
        if started:
            import ray

            ray.shutdown()
    finally:
        quiet.__exit__(None, None, None)
    plot_curves(records, run_dir / "curves.png", title)
    final = rec or {"iteration": 0, "env_steps": 0, "time_s": 0.0}
    summary = TrainResult(
        run_dir=run_dir,
        checkpoint=checkpoint,
        iterations=int(final["iteration"]),
        env_steps=int(final["env_steps"]),
        time_s=float(final["time_s"]),
        stop_reason=reason,
    )
    atomic_write_text(
        run_dir / "summary.json",
        json.dumps(
            {
                "iterations": summary.iterations,
                "env_steps": summary.env_steps,
                "time_s": summary.time_s,
                "stop_reason": reason,
                "checkpoint": str(checkpoint) if checkpoint else None,
            },
            indent=2,
        ),
    )
    if reason == "interrupted":
        raise KeyboardInterrupt
    return summary

"""`aerena tune EXPERIMENT.yaml --pbt`: population-based training of the main hyperparameters.

    aerena tune training/experiments/tiny_defender.yaml --pbt --population 4 --interval 5

Ray Tune runs `population` trials of the experiment, each its own RLlib algorithm in a
function trainable that reports the progress record of :mod:`aerena.training.train`
every iteration (`score`: the `tune.metric` of the record, the previous finite value while
no episode ended). :class:`ray.tune.schedulers.PopulationBasedTraining` (mode max) every
`interval` iterations replaces the bottom quartile of trials by copies of the top
quartile (weights restored from their checkpoint) with perturbed `lr`, `entropy_coeff`
and `clip_param` (resampled from the `tune` section's lists or multiplied by 0.8 / 1.2).
Every trial checkpoints at each perturbation interval; kept checkpoints are not capped
(PBT may restore any trial's latest one). Stop: the experiment's `stop.iterations`
(default 100) and `stop.time_s` per trial.

Results: ``<runs-dir>/<name>-pbt-<timestamp>/`` (Ray Tune's experiment folder), the
best trial's hyperparameters in ``best.json`` there.
"""

from __future__ import annotations

import json
import math
import tempfile
import time
from pathlib import Path
from typing import Any

from aerena.errors import UserError
from aerena.training import trust

TUNED = ("lr", "entropy_coeff", "clip_param")


def _trainable(config: dict[str, Any]) -> None:
    """One PBT trial: the experiment with `config`'s hyperparameters, one report per
    iteration, a checkpoint every `interval` iterations, restored when PBT exploits."""
    from ray import tune
    from ray.tune import Checkpoint

    from aerena.training.config import Experiment
    from aerena.training.runtime import set_threads
    from aerena.training.train import build_algorithm_config, iteration_record

    exp = Experiment.model_validate(config["experiment"])
    a = exp.algorithm.model_copy(update={k: float(config[k]) for k in TUNED})
    exp = exp.model_copy(update={"algorithm": a})
    set_threads(exp.resources.torch_threads)
    algo = build_algorithm_config(exp).build_algo()
    interval = int(config["interval"])
    metric = str(config["metric"])
    start_iter, score, prev = 0, 0.0, 0
    ckpt = tune.get_checkpoint()
    if ckpt is not None:
        with ckpt.as_directory() as d:
            trust.require_trusted(Path(d) / "algo")
            algo.restore_from_path(str(Path(d) / "algo"))
            state = json.loads((Path(d) / "trial.json").read_text(encoding="utf-8"))
            start_iter, score = int(state["iteration"]), float(state["score"])
            prev = int(state["env_steps"])
    t_start = time.perf_counter()
    try:
        for it in range(start_iter + 1, 10**9):
            t0 = time.perf_counter()
            result = algo.train()
            dt = time.perf_counter() - t0
            rec = iteration_record(result, exp, time.perf_counter() - t_start, dt, prev)
            prev = rec["env_steps"]
            v = float(rec.get(metric, math.nan))
            score = v if math.isfinite(v) else score
            report = {k: v for k, v in rec.items() if isinstance(v, int | float)}
            report.update(score=score, iteration=it, **{k: float(config[k]) for k in TUNED})
            if it % interval == 0:
                with tempfile.TemporaryDirectory() as d:
                    algo.save_to_path(str(Path(d) / "algo"))
                    trust.sign(Path(d) / "algo")
                    (Path(d) / "trial.json").write_text(
                        json.dumps({"iteration": it, "score": score, "env_steps": prev}),
                        encoding="utf-8",
                    )
                    tune.report(report, checkpoint=Checkpoint.from_directory(d))
            else:
                tune.report(report)
    finally:
        algo.stop()


def tune_pbt(
    experiment: Any,
    *,
    population: int | None = None,
    interval: int | None = None,
    runs_dir: str | Path = "runs",
    address: str | None = None,
    verbose: bool = False,
) -> dict[str, Any]:
    """Run PBT over an experiment; {"dir", "best_config", "best_score"}. Ray's and
    RLlib's messages go to ``ray.log`` in the results folder unless `verbose`."""
    from ray import tune
    from ray.tune.schedulers import PopulationBasedTraining

    from aerena.files import atomic_write_text
    from aerena.training.config import LoadedExperiment
    from aerena.training.console import LOG_NAME, ray_log
    from aerena.training.runtime import init_ray

    exp = experiment.config if isinstance(experiment, LoadedExperiment) else experiment
    spec = exp.tune
    population = population or spec.population
    interval = interval or spec.interval
    if population < 2:
        raise UserError(f"--population must be at least 2 for PBT, got {population}")
    if exp.curriculum:
        raise UserError("curriculum: `aerena train` plays it; PBT trains on the scenario")
    for k in TUNED:
        if not getattr(spec, k):
            raise UserError(f"tune.{k}: give at least one value")
    name = f"{exp.name}-pbt-{time.strftime('%Y%m%d-%H%M%S')}"
    storage = Path(runs_dir).resolve()
    with ray_log(storage / name / LOG_NAME, verbose) as quiet:
        init_ray(address, exp, quiet.log)
        mutations = {k: list(getattr(spec, k)) for k in TUNED}
        pbt = PopulationBasedTraining(
            time_attr="training_iteration",
            perturbation_interval=interval,
            hyperparam_mutations=mutations,
            metric="score",
            mode="max",
        )
        param_space: dict[str, Any] = {
            "experiment": exp.model_dump(mode="json"),
            "interval": interval,
            "metric": spec.metric,
            **{k: tune.choice(v) for k, v in mutations.items()},
        }
        stop: dict[str, Any] = {"training_iteration": exp.stop.iterations or 100}
        if exp.stop.time_s is not None:
            stop["time_total_s"] = exp.stop.time_s
        r = exp.resources
        cpus = 1 + r.num_env_runners * r.num_cpus_per_env_runner
        tuner = tune.Tuner(
            tune.with_resources(_trainable, {"cpu": cpus}),
            param_space=param_space,
            tune_config=tune.TuneConfig(scheduler=pbt, num_samples=population, reuse_actors=False),
            run_config=tune.RunConfig(
                name=name,
                storage_path=str(storage),
                stop=stop,
                # PBT restores any trial's newest checkpoint: keep them all (no cap)
                checkpoint_config=tune.CheckpointConfig(num_to_keep=None),
                verbose=1,
            ),
        )
        grid = tuner.fit()
    best = grid.get_best_result(metric="score", mode="max")
    out = {
        "dir": str(storage / name),
        "best_config": {k: best.config[k] for k in TUNED},
        "best_score": float(best.metrics.get("score", math.nan)) if best.metrics else math.nan,
    }
    atomic_write_text(storage / name / "best.json", json.dumps(out, indent=2))
    return out

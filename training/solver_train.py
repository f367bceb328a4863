"""`aerena train-solver`: the graph-solver training recipe, top to bottom.

    aerena train-solver --config training/experiments/solvers/tsp20_pomo.yaml
    aerena train-solver --config tsp20.yaml --set iterations=500 --run-dir runs/tsp20
    aerena train-solver --resume runs/tsp20 --set iterations=1000

1. **Config**: the solver experiment (:mod:`aerena.training.solver_config`) and the run
   folder (``--run-dir D``; else beside `out` as ``<out stem>.run/``; else
   ``runs/<name>-<timestamp>/``): ``config.yaml`` (the resolved experiment),
   ``progress.jsonl`` (one record per validation / iteration / epoch,
   :mod:`aerena.training.progress`), ``checkpoints/iter_NNNNNN.pt`` (engine torch: the
   whole loop state, written atomically), ``model.pt`` (the trained policy, written
   atomically; for POMO the best by validation) and ``summary.json``.
2. **Algorithm**: POMO as a plain torch loop (:func:`aerena.training.solvers.pomo.train`)
   or as a custom RLlib Algorithm (:mod:`aerena.training.solvers.pomo_rllib`), PPO through
   RLlib (:func:`aerena.training.solvers.ppo.train_ppo`), or GCOMB's supervised pruner
   (:func:`aerena.training.solvers.gcomb.train`).
3. **Loop and save**: the recipe's own loop; the model goes to ``model.pt`` (and `out`).

`--resume DIR` continues a POMO run of engine torch from its newest checkpoint exactly
(net, optimiser, generators, counters, best validation): the budget (`iterations`,
`minutes`) is a total, so ``--set iterations=N`` trains on to N; records after the
checkpoint are dropped and played again. The RLlib engines and gcomb keep no loop state:
their runs do not resume (start a new run).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aerena.errors import UserError
from aerena.files import atomic_write, atomic_write_text, remove_stale_temp_files
from aerena.training.progress import read_records, record_line, write_record
from aerena.training.solver_config import SolverExperiment, load_solver_experiment

MODEL = "model.pt"
PROGRESS = "progress.jsonl"
#: what `--set` may change on `--resume` (the rest shapes the net or the data stream)
RESUMABLE_CHANGES = ("name", "iterations", "minutes", "validate_every", "checkpoint_every",
                     "out", "device")  # fmt: skip


@dataclass
class SolverResult:
    run_dir: Path
    model: Path
    iterations: int
    time_s: float


# ======================================================================================
# 1. Config and run folder
# ======================================================================================
def default_run_dir(cfg: SolverExperiment, runs_dir: str | Path = "runs") -> Path:
    """Beside `out` (``<out stem>.run``) when it is set, else ``RUNS/<name>-<timestamp>``."""
    if cfg.out:
        out = Path(cfg.out)
        return out.with_name(f"{out.stem}.run")
    base = Path(runs_dir) / f"{cfg.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    run, n = base, 1
    while run.exists():
        n += 1
        run = base.with_name(f"{base.name}-{n}")
    return run


def check_device(name: str) -> None:
    """Refuse a torch device that does not exist here, before training starts."""
    import torch  # heavy optional dependency (the `train` extra)

    try:
        device = torch.device(name)
    except RuntimeError:
        raise UserError(f"device {name!r}: not a torch device (cpu, cuda, cuda:N)") from None
    if device.type == "cuda" and not (
        torch.cuda.is_available() and (device.index or 0) < torch.cuda.device_count()
    ):
        raise UserError(f"device {name}: no such CUDA device on this machine")


def resume_config(run_dir: Path, overrides: dict[str, Any] | None) -> SolverExperiment:
    """The run's config.yaml with `overrides`; only :data:`RESUMABLE_CHANGES` may change."""
    path = run_dir / "config.yaml"
    if not path.is_file():
        raise UserError(f"--resume {run_dir}: not a run folder (no config.yaml)")
    before = load_solver_experiment(path)
    cfg = load_solver_experiment(path, overrides)
    if not (cfg.algorithm == "pomo" and cfg.engine == "torch"):
        raise UserError(
            f"--resume {run_dir}: only algorithm pomo with engine torch resumes "
            f"(this run: {cfg.algorithm}, {cfg.engine}); start a new run"
        )
    old, new = before.model_dump(), cfg.model_dump()
    for key in old:
        if key not in RESUMABLE_CHANGES and old[key] != new[key]:
            raise UserError(
                f"--set {key}: cannot change on --resume (was {old[key]!r}); "
                f"changeable: {', '.join(RESUMABLE_CHANGES)}"
            )
    return cfg


# ======================================================================================
# Checkpoints (engine torch): the loop state of pomo.train, one file per checkpoint
# ======================================================================================
def save_state(run_dir: Path, state: Any, keep: int = 2) -> Path:
    """``checkpoints/iter_NNNNNN.pt`` (atomic), keeping the newest `keep`."""
    import torch  # heavy optional dependency (the `train` extra)

    ck = run_dir / "checkpoints"
    path = atomic_write(ck / f"iter_{state.step:06d}.pt", lambda f: torch.save(state._asdict(), f))
    for old in sorted(ck.glob("iter_*.pt"))[:-keep]:
        old.unlink(missing_ok=True)
    return path


def latest_state(run_dir: Path) -> Any:
    """The :class:`~aerena.training.solvers.pomo.TrainState` of the newest checkpoint."""
    import torch  # heavy optional dependency (the `train` extra)

    from aerena.training.solvers.pomo import TrainState

    ck = run_dir / "checkpoints"
    remove_stale_temp_files(ck)
    found = sorted(ck.glob("iter_*.pt"))
    if not found:
        raise UserError(f"--resume {run_dir}: no checkpoint in {ck}; start a new run instead")
    try:
        return TrainState(**torch.load(found[-1], map_location="cpu", weights_only=True))
    except Exception as exc:  # torch raises many kinds
        raise UserError(f"--resume: {found[-1]}: not a readable checkpoint ({exc})") from None


# ======================================================================================
# The recipe
# ======================================================================================
def train_solver(
    cfg: SolverExperiment,
    run_dir: str | Path,
    *,
    resume: bool = False,
    command: str = "",
    log: Any = None,
) -> SolverResult:
    """Train `cfg` into `run_dir` (or continue it with `resume`); see the module docstring.
    `log` gets each progress record (default: printed as a JSON line)."""
    # ---- 1. config and run folder ----
    run = Path(run_dir)
    if cfg.device != "cpu":
        check_device(cfg.device)
    state = None
    if resume:
        state = latest_state(run)
        kept = [r for r in read_records(run / PROGRESS) if r["iteration"] <= state.step]
        atomic_write_text(run / PROGRESS, "".join(record_line(r) for r in kept))
    elif (run / "config.yaml").exists():
        raise UserError(f"--run-dir {run}: already a run folder (continue it with --resume)")
    run.mkdir(parents=True, exist_ok=True)
    atomic_write_text(run / "config.yaml", cfg.to_yaml())
    show = log or (lambda rec: print(json.dumps(rec), flush=True))

    def record(row: dict[str, Any]) -> None:
        write_record(run / PROGRESS, row)
        show(row)

    # ---- 2-3. algorithm, loop, save ----
    t0 = time.perf_counter()
    model = run / MODEL
    if cfg.algorithm == "pomo" and cfg.engine == "torch":
        iterations = _pomo_torch(cfg, run, model, state, command, record)
    elif cfg.algorithm == "pomo":
        iterations = _pomo_rllib(cfg, model, command, record)
    elif cfg.algorithm == "ppo":
        iterations = _ppo(cfg, model, command, record)
    else:
        iterations = _gcomb(cfg, model, command, record)
    if cfg.out:
        atomic_write(cfg.out, model.read_bytes())
    elapsed = time.perf_counter() - t0 + (state.time_s if state is not None else 0.0)
    summary = {"iterations": iterations, "time_s": round(elapsed, 1), "model": str(model)}
    atomic_write_text(run / "summary.json", json.dumps(summary, indent=2))
    return SolverResult(run, model, iterations, elapsed)


def _pomo_torch(cfg: SolverExperiment, run: Path, model: Path, state: Any, command: str,
                record: Any) -> int:  # fmt: skip
    """The plain torch POMO loop, checkpointed every `checkpoint_every` updates."""
    from aerena.training.solvers import pomo  # torch: heavy

    last = [state.step if state is not None else 0]

    def on_state(s: Any) -> None:
        save_state(run, s)
        last[0] = s.step

    pomo.train(
        cfg.problem,
        cfg.nodes,
        minutes=cfg.minutes,
        steps=cfg.iterations,
        batch_size=cfg.batch_size,
        lr=float(cfg.lr or 0.0),
        net_config=cfg.net_config(),
        seed=cfg.seed,
        device=cfg.device,
        validate_every=cfg.validate_every,
        out=model,
        command=command,
        log=lambda row: record({"iteration": row["step"], **row}),
        resume=state,
        on_state=on_state,
        state_every=cfg.checkpoint_every,
    )
    return last[0]


def _pomo_rllib(cfg: SolverExperiment, model: Path, command: str, record: Any) -> int:
    """POMO as the custom RLlib Algorithm / Learner."""
    from aerena.agents.solvers.base import save_checkpoint  # torch: heavy
    from aerena.training.solvers.pomo_rllib import train_pomo_rllib  # ray: heavy

    t0 = time.perf_counter()
    assert cfg.iterations is not None  # the schema requires it for this engine
    net, history = train_pomo_rllib(
        cfg.problem,
        cfg.nodes,
        iterations=cfg.iterations,
        net=cfg.net_config(),
        instances_per_batch=cfg.batch_size,
        lr=float(cfg.lr or 0.0),
        seed=cfg.seed,
        validate_every=cfg.validate_every,
        log=record,
    )
    meta = {
        "problem": cfg.problem,
        "nodes": cfg.nodes,
        "algorithm": "pomo (RLlib)",
        "steps": cfg.iterations,
        "instances": cfg.iterations * cfg.batch_size,
        "train_time_s": round(time.perf_counter() - t0, 1),
        "validation_length": history[-1]["val_length"] if history else None,
        "command": command,
    }
    save_checkpoint(net, model, meta)
    return cfg.iterations


def _ppo(cfg: SolverExperiment, model: Path, command: str, record: Any) -> int:
    """PPO through RLlib with action masks."""
    from aerena.agents.solvers.base import save_checkpoint  # torch: heavy
    from aerena.training.solvers.ppo import train_ppo  # ray: heavy

    t0 = time.perf_counter()
    p = cfg.ppo
    assert cfg.iterations is not None  # the schema requires it for ppo
    net, history = train_ppo(
        cfg.problem,
        dict(p.env_kwargs),
        iterations=cfg.iterations,
        seed=cfg.seed,
        net=cfg.net_config(),
        num_env_runners=p.num_env_runners,
        envs_per_runner=p.envs_per_runner,
        train_batch_size=p.train_batch_size,
        minibatch_size=p.minibatch_size,
        lr=float(cfg.lr or 0.0),
        entropy_coeff=p.entropy_coeff,
        num_epochs=p.num_epochs,
        size_range=p.size_range,
        log=record,
    )
    meta = {
        "command": command,
        "algorithm": "PPO (RLlib)",
        "env_kwargs": dict(p.env_kwargs),
        "size_range": list(p.size_range) if p.size_range else None,
        "env_steps": history[-1]["env_steps"] if history else 0,
        "iterations": cfg.iterations,
        "train_time_s": round(time.perf_counter() - t0, 1),
        "final_episode_return_mean": history[-1]["episode_return_mean"] if history else None,
    }
    save_checkpoint(net, model, meta)
    return cfg.iterations


def _gcomb(cfg: SolverExperiment, model: Path, command: str, record: Any) -> int:
    """GCOMB's pruner, supervised on greedy RR-set seeds (iterations = epochs)."""
    from aerena.agents.solvers.base import save_checkpoint  # torch: heavy
    from aerena.training.solvers.gcomb import train  # torch: heavy

    assert cfg.iterations is not None  # the schema requires it for gcomb
    net, meta = train(
        cfg.gcomb.graphs,
        cfg.iterations,
        float(cfg.lr or 0.0),
        cfg.seed,
        cfg.net_config(),
        log=lambda row: record({"iteration": row["epoch"] + 1, **row}),
    )
    meta["command"] = command
    save_checkpoint(net, model, meta)
    return cfg.iterations

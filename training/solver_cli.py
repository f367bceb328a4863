"""``aerena train-solver``: train a learned graph-problem policy into a run folder.

    aerena train-solver --config training/experiments/solvers/tsp20_pomo.yaml
    aerena train-solver --config cvrp.yaml --set iterations=500 --set device=cuda
    aerena train-solver --resume runs/tsp20-pomo-20261204-001500 --set iterations=2000

The experiment is a validated YAML (:mod:`aerena.training.solver_config`: problem,
algorithm pomo | ppo | gcomb, engine, sizes, budget, learning rate, batch, seed, device,
out); the recipe and its run folder (config copy, progress, checkpoints, ``model.pt``)
are :mod:`aerena.training.solver_train`. The flag form builds the same experiment::

    aerena train-solver tsp --algo pomo --nodes 20 --iterations 2000 --out tsp20.pt
    aerena train-solver tsp --algo pomo --engine torch --device cuda --minutes 8 --out tsp20.pt
    aerena train-solver mvc --algo ppo --iterations 40 --out mvc.pt \
        --ppo-options '--size-range 20 50'

(its run folder sits beside the model: ``tsp20.run/``). Algorithms: ``pomo`` (routing:
REINFORCE with POMO's shared multi-start baseline; engine ``rllib`` = the custom RLlib
Algorithm/Learner, engine ``torch`` = the plain loop that trained the shipped models on a
GPU, the one that resumes), ``ppo`` (every problem: RLlib PPO with action masks) and
``gcomb`` (im: the supervised pruner). The saved file works with ``aerena solve PROBLEM
... --method model --model FILE`` and ``aerena export``.
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys
from pathlib import Path
from typing import Any

from aerena import cliargs
from aerena.errors import UserError
from aerena.scenarios.located import Loc, Mark
from aerena.scenarios.overrides import add_set_option, parse_set_options
from aerena.training.solver_config import (
    ALGORITHMS,
    PROBLEMS,
    SolverConfigError,
    SolverExperiment,
    load_solver_experiment,
    solver_experiment,
)

#: flag -> experiment field of the flag form (PROBLEM is `problem`)
FLAGS = {
    "algo": "algorithm",
    "engine": "engine",
    "nodes": "nodes",
    "iterations": "iterations",
    "minutes": "minutes",
    "batch_size": "batch_size",
    "lr": "lr",
    "device": "device",
    "seed": "seed",
    "out": "out",
}
#: --ppo-options of the PPO recipe -> experiment fields (the others are ppo.<name>)
PPO_TOP = {"iterations": "iterations", "seed": "seed", "lr": "lr", "out": "out", "net": "model"}
PPO_KEYS = ("env_kwargs", "size_range", "num_env_runners", "envs_per_runner",
            "train_batch_size", "minibatch_size", "num_epochs", "entropy_coeff")  # fmt: skip


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train-solver",
        help="train a learned graph-problem policy (POMO, PPO or GCOMB)",
        description=__doc__.replace("``", "'"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("problem", nargs="?", choices=PROBLEMS, help="the flag form's problem")
    p.add_argument("--config", metavar="FILE.yaml", help="the solver experiment to train")
    p.add_argument("--resume", metavar="DIR", help="continue a run folder (pomo, engine torch)")
    p.add_argument("--run-dir", metavar="DIR", help="the run folder (default: see above)")
    p.add_argument(
        "--runs-dir",
        default="runs",
        metavar="DIR",
        help="parent of new run folders without --run-dir or out (default runs)",
    )
    add_set_option(p, "iterations=500, model.dim=64, ppo.size_range=[20,50]", "a field")
    g = p.add_argument_group("flag form (PROBLEM given; fields of the same experiment)")
    g.add_argument("--algo", choices=ALGORITHMS, help="default: pomo for tsp/cvrp, gcomb for im, "
                   "ppo otherwise")  # fmt: skip
    g.add_argument("--engine", choices=("rllib", "torch"), help="pomo only (default rllib)")
    g.add_argument("--nodes", type=cliargs.count(2, 100_000),
                   help="TSP nodes / CVRP customers (pomo; default 20)")  # fmt: skip
    g.add_argument("--iterations", type=cliargs.count(1),
                   help="updates (pomo) / PPO iterations / epochs (gcomb)")  # fmt: skip
    g.add_argument("--minutes", type=cliargs.positive(),
                   help="wall-time budget (pomo, torch engine)")  # fmt: skip
    g.add_argument("--batch-size", type=cliargs.count(1, 1_000_000),
                   help="instances per update (pomo; default 64)")  # fmt: skip
    g.add_argument("--lr", type=cliargs.positive(1.0), help="learning rate (default per recipe)")
    g.add_argument("--dim", type=cliargs.count(1, 4096))
    g.add_argument("--layers", type=cliargs.count(1, 64))
    g.add_argument("--heads", type=cliargs.count(1, 64))
    g.add_argument("--device", help="torch engine: cpu or cuda")
    g.add_argument("--seed", type=cliargs.seed)
    g.add_argument("--out", help="the policy file to write (.pt; required in the flag form)")
    g.add_argument(
        "--ppo-options",
        default="",
        metavar="'OPTS'",
        help="more options for the PPO recipe, e.g. '--size-range 20 50 --lr 1e-4'",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    overrides = parse_set_options(args.overrides)
    given = [x for x in (args.problem, args.config, args.resume) if x]
    if len(given) != 1:
        raise UserError("give exactly one of PROBLEM (the flag form), --config FILE, --resume DIR")
    names = [k for k in (*FLAGS, "dim", "layers", "heads") if getattr(args, k) is not None]
    flags = [f"--{k.replace('_', '-')}" for k in names] + ["--ppo-options"] * bool(args.ppo_options)
    if args.problem is None and flags:
        raise UserError(f"{flags[0]} belongs to the flag form (PROBLEM ...); in a config "
                        "file or with --resume use --set")  # fmt: skip
    from aerena.training import solver_train  # torch / ray load lazily inside

    if args.resume:
        if args.run_dir:
            raise UserError("--resume DIR is the run folder: drop --run-dir")
        cfg = solver_train.resume_config(Path(args.resume), overrides)
        run_dir = Path(args.resume)
    else:
        cfg = from_flags(args, overrides) if args.problem else load(args.config, overrides)
        run_dir = Path(args.run_dir) if args.run_dir else None
        if run_dir is None:
            run_dir = solver_train.default_run_dir(cfg, args.runs_dir)
    command = "aerena train-solver " + " ".join(shlex.quote(a) for a in sys.argv[2:])
    result = solver_train.train_solver(cfg, run_dir, resume=bool(args.resume), command=command)
    print(f"saved {cfg.out or result.model}\nrun folder: {result.run_dir}")
    return 0


def load(path: str, overrides: dict[str, Any]) -> SolverExperiment:
    return load_solver_experiment(path, overrides)


def from_flags(args: argparse.Namespace, overrides: dict[str, Any]) -> SolverExperiment:
    """The experiment of the flag form: the given flags (each marked as written there)
    and the --ppo-options, then the --set overrides, through the one validation."""
    if not args.out:
        raise UserError("the flag form needs --out FILE.pt (or train with --config FILE.yaml)")
    loc = Loc(Mark("aerena train-solver"), {"problem": Loc(Mark(args.problem))})
    data: dict[str, Any] = {"name": _name(args.out), "problem": args.problem}
    for flag, key in FLAGS.items():
        if getattr(args, flag) is not None:
            data[key] = getattr(args, flag)
            loc.children[key] = Loc(Mark(f"--{flag.replace('_', '-')}"))
    sizes = {k: getattr(args, k) for k in ("dim", "layers", "heads") if getattr(args, k)}
    if sizes:
        data["model"] = sizes
        loc.children["model"] = Loc(Mark("--dim/--layers/--heads"))
    ppo = ppo_overrides(args.ppo_options)
    cfg = solver_experiment(data, loc, "aerena train-solver", {**ppo, **overrides})
    if ppo and cfg.algorithm != "ppo":
        raise UserError("--ppo-options apply to --algo ppo")
    return cfg


def ppo_overrides(text: str) -> dict[str, Any]:
    """``--size-range 20 50 --lr 1e-4`` (the PPO recipe's options) -> dotted overrides
    ``{"ppo.size_range": [20, 50], "lr": "1e-4"}`` (values read as YAML, JSON included)."""
    out: dict[str, Any] = {}
    words = shlex.split(text)
    i = 0
    while i < len(words):
        opt = words[i]
        name = opt.removeprefix("--").replace("-", "_")
        if not opt.startswith("--") or name not in (*PPO_TOP, *PPO_KEYS):
            known = ", ".join("--" + k.replace("_", "-") for k in (*PPO_TOP, *PPO_KEYS))
            raise UserError(f"--ppo-options: unknown option {opt!r}; known: {known}")
        j = i + 1
        while j < len(words) and not words[j].startswith("--"):
            j += 1
        values = words[i + 1 : j]
        if not values:
            raise UserError(f"--ppo-options: {opt} needs a value")
        key = PPO_TOP.get(name, f"ppo.{name}")
        try:
            parsed = [parse_set_options([f"{key}={v}"])[key] for v in values]
        except UserError as exc:
            raise UserError(f"--ppo-options {opt}: {str(exc).split(': ', 1)[-1]}") from None
        out[key] = parsed[0] if len(parsed) == 1 else parsed
        i = j
    return out


def _name(out: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", Path(out).stem) or "solver"


__all__ = ["SolverConfigError", "add_parser", "from_flags", "ppo_overrides", "run"]

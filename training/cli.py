"""`aerena train` and `aerena evaluate` (registered by :func:`add_parser`).

torch and Ray are imported inside the command functions only, so `aerena --help` and
`aerena train --help` work without them.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from aerena.errors import UserError


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `train` and `evaluate` on the top-level subparsers."""
    _add_train(sub)
    _add_evaluate(sub)


def _require_training_deps() -> None:
    """A clear message instead of a traceback when torch / Ray are missing."""
    import importlib.util

    missing = [m for m in ("torch", "ray") if importlib.util.find_spec(m) is None]
    if not missing and importlib.util.find_spec("ray.rllib") is None:
        missing = ["ray[rllib]"]
    if missing:
        raise UserError(
            f"this command needs {', '.join(missing)}: pip install 'aerena[train]' "
            "(torch, ray[rllib], torch-geometric, matplotlib)"
        )


def _set_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override an experiment field by dotted path, e.g. algorithm.lr=1e-4, "
        "stop.iterations=50, overrides.episode.max_steps=300 (repeatable)",
    )


# --------------------------------------------------------------------------------------
# aerena train
# --------------------------------------------------------------------------------------
def _add_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="train GNN agents with RLlib (PPO / APPO / IMPALA)",
        description="Train the learning side's agents (one shared GNN policy per role) "
        "against a scripted or random opponent. The run folder runs/<name>-<timestamp>/ "
        "holds the resolved config, progress.jsonl, checkpoints/, curves.png and "
        "summary.json. Needs the `train` extra (torch, ray[rllib], matplotlib).",
    )
    p.add_argument(
        "experiment",
        nargs="?",
        metavar="EXPERIMENT.yaml",
        help="experiment YAML (examples: training/experiments/*.yaml)",
    )
    p.add_argument("--scenario", metavar="NAME", help="train on a scenario with the defaults")
    p.add_argument("--resume", metavar="DIR", help="continue a run folder from its last checkpoint")
    p.add_argument(
        "--address",
        metavar="ADDR",
        help="Ray cluster to join: auto or ray://host:port (default: embedded local Ray)",
    )
    p.add_argument("--runs-dir", default="runs", metavar="DIR", help="parent of run folders")
    p.add_argument("--no-live", action="store_true", help="plain progress lines, no live view")
    _set_option(p)
    p.set_defaults(func=_cmd_train)


def _cmd_train(args: argparse.Namespace) -> int:
    from aerena.scenarios.loader import parse_set_options
    from aerena.training.config import experiment_for_scenario, load_experiment

    overrides = parse_set_options(args.overrides)
    given = [x for x in (args.experiment, args.scenario, args.resume) if x]
    if len(given) != 1:
        raise UserError("give exactly one of EXPERIMENT.yaml, --scenario NAME, --resume DIR")
    loaded = None
    if args.experiment:
        loaded = load_experiment(args.experiment, overrides)
    elif args.scenario:
        loaded = experiment_for_scenario(args.scenario, overrides)
    _require_training_deps()
    from aerena.training.train import train

    result = train(
        loaded,
        runs_dir=args.runs_dir,
        resume=args.resume,
        overrides=overrides if args.resume else None,
        address=args.address,
        live=False if args.no_live else None,
    )
    print(
        f"done ({result.stop_reason}): {result.iterations} iterations, "
        f"{result.env_steps:,} env steps, {result.time_s:.0f} s\n"
        f"run folder: {result.run_dir}\ncheckpoint: {result.checkpoint}"
    )
    return 0


# --------------------------------------------------------------------------------------
# aerena evaluate
# --------------------------------------------------------------------------------------
def _add_evaluate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "evaluate",
        help="evaluate a trained checkpoint against the scripted baseline",
        description="Play episodes with the trained policy of a checkpoint (or a run "
        "folder's latest) and with the scripted player in its place, on the same seeds; "
        "print both result tables (mean and 95%% CI).",
    )
    p.add_argument("checkpoint", metavar="CHECKPOINT", help="checkpoint folder or run folder")
    p.add_argument("--scenario", metavar="NAME", help="scenario (default: the run's)")
    p.add_argument("--episodes", type=int, default=32, metavar="N", help="episodes (default 32)")
    p.add_argument(
        "--opponent",
        choices=("scripted", "random"),
        help="the other side's player (default: the run's opponent)",
    )
    p.add_argument(
        "--side",
        choices=("attacker", "defender"),
        help="learned side to evaluate (default: the run's; defender for learn: both)",
    )
    p.add_argument("--seed", type=int, default=10_000, metavar="S", help="episode e: seed S+e")
    p.add_argument("--worlds", type=int, default=16, metavar="B", help="worlds stepped together")
    p.add_argument("--sample", action="store_true", help="sample from the policy (default: greedy)")
    p.add_argument("--json", action="store_true", help="print one JSON object, nothing else")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a scenario field, e.g. episode.max_steps=400 (repeatable)",
    )
    p.set_defaults(func=_cmd_evaluate)


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from aerena.scenarios.loader import parse_set_options

    _require_training_deps()
    from aerena.training.evaluate import evaluate, print_report

    report: dict[str, Any] = evaluate(
        args.checkpoint,
        scenario=args.scenario,
        episodes=args.episodes,
        opponent=args.opponent,
        side=args.side,
        seed=args.seed,
        worlds=args.worlds,
        overrides=parse_set_options(args.overrides) or None,
        sample=args.sample,
    )
    if args.json:
        sys.stdout.write(json.dumps(report) + "\n")
    else:
        print_report(report)
    return 0

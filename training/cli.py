"""`aerena train` and `aerena evaluate` (registered by :func:`add_parser`).

torch and Ray are imported inside the command functions only, so `aerena --help` and
`aerena train --help` work without them.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from aerena import cliargs
from aerena.errors import UserError
from aerena.scenarios.loader import add_set_option
from aerena.training import trust
from aerena.training.console import LOG_NAME


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `train`, `evaluate`, `run`, `league` and `tune` on the top-level subparsers."""
    _add_train(sub)
    _add_evaluate(sub)
    _add_run(sub)
    _add_league(sub)
    _add_tune(sub)


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


def _verbose_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--verbose",
        action="store_true",
        help="show Ray's and RLlib's messages (default: in the run folder's ray.log)",
    )


def _set_option(p: argparse.ArgumentParser) -> None:
    add_set_option(
        p,
        "algorithm.lr=1e-4, stop.iterations=50, overrides.episode.max_steps=300",
        "an experiment field",
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
    _verbose_option(p)
    _set_option(p)
    trust.add_trust_option(p)
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
        verbose=args.verbose,
    )
    print(
        f"done ({result.stop_reason}): {result.iterations} iterations, "
        f"{result.env_steps:,} env steps, {result.time_s:.0f} s\n"
        f"run folder: {result.run_dir}\ncheckpoint: {result.checkpoint}"
    )
    if (log := result.run_dir / LOG_NAME).is_file():
        print(f"ray log:    {log}")
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
        "print both result tables (mean and 95% CI).",
    )
    p.add_argument(
        "checkpoint", metavar="CHECKPOINT", nargs="?", help="checkpoint folder or run folder"
    )
    p.add_argument(
        "--onnx",
        metavar="MODEL.onnx",
        nargs="+",
        help="play exported ONNX models through aerena.deploy instead (no torch; the same "
        "seeds as a checkpoint's evaluation, so fp32 episodes match the torch policy's)",
    )
    p.add_argument("--scenario", metavar="NAME", help="scenario (default: the run's)")
    p.add_argument(
        "--episodes", type=cliargs.count(1), default=32, metavar="N", help="episodes (default 32)"
    )
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
    p.add_argument(
        "--seed", type=cliargs.seed, default=10_000, metavar="S", help="episode e: seed S+e"
    )
    cliargs.add_worlds_option(p, 16)
    p.add_argument("--sample", action="store_true", help="sample from the policy (default: greedy)")
    p.add_argument("--json", action="store_true", help="print one JSON object, nothing else")
    add_set_option(p, what="a scenario field")
    trust.add_trust_option(p)
    p.set_defaults(func=_cmd_evaluate)


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from aerena.scenarios.loader import parse_set_options

    if args.onnx:
        if args.checkpoint:
            raise UserError("give a CHECKPOINT or --onnx MODEL.onnx, not both")
        from aerena.training.export_cli import cmd_play

        args.model = args.onnx
        args.opponent = args.opponent or "scripted"
        return cmd_play(args)
    if not args.checkpoint:
        raise UserError("evaluate needs a CHECKPOINT (or --onnx MODEL.onnx)")
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


# --------------------------------------------------------------------------------------
# aerena run
# --------------------------------------------------------------------------------------
def _add_run(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="train the defender, evaluate it against the scripted one, record replays",
        description="Train the defender against the scripted attacker with a wall-time "
        "budget, evaluate the trained and the scripted defender on the same seeds, record "
        "one replay of each, and print where everything went. Needs the `train` extra.",
    )
    p.add_argument(
        "scenario", nargs="?", default="strike_small", metavar="SCENARIO",
        help="shipped scenario name or YAML path (default strike_small)",
    )  # fmt: skip
    p.add_argument("--minutes", type=cliargs.positive(7 * 24 * 60), default=10.0, metavar="M",
                   help="training wall time in minutes (default 10, at most a week)")  # fmt: skip
    p.add_argument("--episodes", type=cliargs.count(1), default=32, metavar="N",
                   help="evaluation episodes per defender (default 32)")  # fmt: skip
    p.add_argument(
        "--seed", type=cliargs.seed, default=0, metavar="S", help="training seed (default 0)"
    )
    p.add_argument("--out", default="runs", metavar="DIR", help="parent of the run folder")
    p.add_argument("--address", metavar="ADDR", help="Ray cluster to join (default: local)")
    p.add_argument("--no-live", action="store_true", help="plain progress lines, no live view")
    _verbose_option(p)
    p.set_defaults(func=_cmd_run)


def _cmd_run(args: argparse.Namespace) -> int:
    _require_training_deps()
    from aerena.training.run import print_run, run

    res = run(
        args.scenario,
        minutes=args.minutes,
        episodes=args.episodes,
        seed=args.seed,
        out=args.out,
        address=args.address,
        live=False if args.no_live else None,
        verbose=args.verbose,
    )
    print_run(res)
    return 0


# --------------------------------------------------------------------------------------
# aerena league
# --------------------------------------------------------------------------------------
def _add_league(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "league",
        help="self-play league: train both sides, or print a run's Elo table",
        description="With a run folder holding league.json: print its Elo table of "
        "snapshots. With an experiment YAML (or --scenario NAME): train both sides by "
        "self-play against a league of frozen snapshots sampled by PFSP.",
    )
    p.add_argument("target", nargs="?", metavar="DIR|EXPERIMENT.yaml",
                   help="run folder to show, or experiment to train")  # fmt: skip
    p.add_argument("--scenario", metavar="NAME", help="train on a scenario with the defaults")
    p.add_argument("--runs-dir", default="runs", metavar="DIR", help="parent of run folders")
    p.add_argument("--no-live", action="store_true", help="plain progress lines, no live view")
    _set_option(p)
    trust.add_trust_option(p)
    p.set_defaults(func=_cmd_league)


def _cmd_league(args: argparse.Namespace) -> int:
    from pathlib import Path

    from aerena.scenarios.loader import parse_set_options

    target = Path(args.target) if args.target else None
    if target is not None and target.is_dir():
        from aerena.training.league import print_league

        print_league(target)
        return 0
    from aerena.training.config import experiment_for_scenario, load_experiment

    overrides = parse_set_options(args.overrides)
    if (target is None) == (args.scenario is None):
        raise UserError("give exactly one of DIR, EXPERIMENT.yaml or --scenario NAME")
    if target is not None:
        loaded = load_experiment(target, overrides)
    else:
        loaded = experiment_for_scenario(args.scenario, overrides)
    _require_training_deps()
    from aerena.training.league import print_league, train_league

    run_dir = train_league(loaded, runs_dir=args.runs_dir, live=False if args.no_live else None)
    print_league(run_dir)
    print(f"run folder: {run_dir}")
    return 0


# --------------------------------------------------------------------------------------
# aerena tune
# --------------------------------------------------------------------------------------
def _add_tune(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "tune",
        help="population-based training of an experiment's main hyperparameters",
        description="Ray Tune over an experiment: with --pbt, PopulationBasedTraining "
        "perturbs lr, entropy_coeff and clip_param of a population of trials.",
    )
    p.add_argument("experiment", metavar="EXPERIMENT.yaml", help="the experiment to tune")
    p.add_argument("--pbt", action="store_true", help="population-based training (required)")
    p.add_argument(
        "--population",
        type=cliargs.count(2, 1024),
        default=4,
        metavar="N",
        help="trials (default 4)",
    )
    p.add_argument("--interval", type=cliargs.count(1), default=5, metavar="I",
                   help="iterations between PBT perturbations (default 5)")  # fmt: skip
    p.add_argument("--runs-dir", default="runs", metavar="DIR", help="parent of run folders")
    p.add_argument("--address", metavar="ADDR", help="Ray cluster to join (default: local)")
    _set_option(p)
    _verbose_option(p)
    p.set_defaults(func=_cmd_tune)


def _cmd_tune(args: argparse.Namespace) -> int:
    from aerena.scenarios.loader import parse_set_options
    from aerena.training.config import load_experiment

    if not args.pbt:
        raise UserError("only --pbt is supported: aerena tune EXPERIMENT.yaml --pbt")
    loaded = load_experiment(args.experiment, parse_set_options(args.overrides))
    _require_training_deps()
    from aerena.training.tune import tune_pbt

    out = tune_pbt(
        loaded,
        population=args.population,
        interval=args.interval,
        runs_dir=args.runs_dir,
        address=args.address,
        verbose=args.verbose,
    )
    print(f"best trial: {out['best_config']}\nresults: {out['dir']}")
    return 0

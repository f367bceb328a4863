"""`aerena export` (checkpoint -> ONNX) and `aerena play-onnx` (episodes through ONNX).

    aerena export runs/tiny-defender-.../ --policy defender --out model.onnx --int8 --report
    aerena play-onnx model.onnx --episodes 32 --json
    aerena export graphs/models/tsp20.pt --out tsp20.onnx --int8 --report

A CHECKPOINT that is a ``.pt`` file is a graph-task policy checkpoint
(:func:`aerena.agents.solvers.base.save_checkpoint`): it is exported by
:func:`aerena.agents.solvers.onnx.export_graph_policy` (one model with dynamic batch and
node axes; parity on observations recorded from episodes of its problem at several
sizes), `--policy`, `--scenario` and `--dynamo` do not apply to it.

`export` restores the checkpoint's modules, exports the policy's role models
(:mod:`aerena.agents.onnx_export`: one file per role, ``model.<role>.onnx`` for the
defender), checks them and their parity with torch on recorded observations, and writes
them atomically; a failed check is one error line, exit status 2, no file written.

`play-onnx` plays episodes with the exported models through the torch-free runtime
:mod:`aerena.deploy` (numpy + onnxruntime) against a scripted or random opponent, on the
seeds of `aerena evaluate` (episode e: world seed S + e, players seeded per side;
:mod:`aerena.seeding`), and prints
the evaluated side's summary (or one JSON object). The scenario and its overrides default
to those stored in the model's metadata.

torch, Ray and onnx are imported inside the command functions only.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from aerena import cliargs
from aerena.errors import UserError
from aerena.seeding import player_seed
from aerena.training import trust


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `export` and `play-onnx` on the top-level subparsers."""
    _add_export(sub)
    _add_play(sub)


def _require(*mods: str, extra: str) -> None:
    import importlib.util

    missing = [m for m in mods if importlib.util.find_spec(m) is None]
    if missing:
        raise UserError(f"this command needs {', '.join(missing)}: pip install 'aerena[{extra}]'")


# --------------------------------------------------------------------------------------
# aerena export
# --------------------------------------------------------------------------------------
def _add_export(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="export a checkpoint's policy to ONNX (with a parity check against torch)",
        description="Export the inference policy of a checkpoint (or a run folder's latest) "
        "to ONNX: one model per role (--policy defender writes OUT_STEM.launcher.onnx and "
        "OUT_STEM.radar.onnx). Refuses (exit 2, nothing written) when onnxruntime and torch "
        "disagree on observations recorded from scripted episodes.",
    )
    p.add_argument(
        "checkpoint",
        metavar="CHECKPOINT",
        help="checkpoint folder or run folder, or a graph-policy .pt checkpoint",
    )
    p.add_argument(
        "--policy",
        metavar="POLICY",
        help="defender (launcher + radar), attacker (uav) or a module id (required for "
        "RLlib checkpoints)",
    )
    p.add_argument("--out", metavar="MODEL.onnx", help="output path (ONNX)")
    p.add_argument(
        "--weights",
        metavar="DIR",
        help="instead of ONNX, write the modules as a weights folder (no pickles: JSON spec, "
        "torch tensors, the experiment YAML), to share or play without --trust-checkpoint",
    )
    p.add_argument(
        "--opset",
        type=cliargs.count(7, 30),
        default=17,
        metavar="N",
        help="ONNX opset (default 17)",
    )
    p.add_argument(
        "--int8",
        action="store_true",
        help="write the dynamically int8-quantised model (>= 99%% greedy agreement required)",
    )
    p.add_argument(
        "--dynamo",
        action="store_true",
        help="use torch's torch.export-based exporter (default: the TorchScript one)",
    )
    p.add_argument("--report", action="store_true", help="print a batch-1 latency/size table")
    p.add_argument("--scenario", metavar="NAME", help="scenario (default: the run's)")
    p.add_argument(
        "--parity-obs",
        type=cliargs.count(1),
        default=1024,
        metavar="N",
        help="observations compared",
    )
    p.add_argument(
        "--seed", type=cliargs.seed, default=0, metavar="S", help="seed of recorded episodes"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object, nothing else")
    trust.add_trust_option(p)
    p.set_defaults(func=_cmd_export)


def _load(checkpoint: str, scenario: str | None) -> tuple[dict[str, Any], str, dict[str, Any]]:
    from aerena.training.evaluate import load_modules, resolve_checkpoint

    ckpt, run_dir = resolve_checkpoint(Path(checkpoint).resolve())
    overrides: dict[str, Any] = {}
    if scenario is None:
        if run_dir is None:
            raise UserError(f"{checkpoint}: not inside a run folder; give --scenario")
        from aerena.training.config import load_experiment

        exp = load_experiment(run_dir / "config.yaml").config
        scenario, overrides = exp.scenario, dict(exp.overrides)
    return load_modules(ckpt), str(scenario), overrides


def is_graph_checkpoint(checkpoint: str | Path) -> bool:
    """A `.pt` file: a graph-task policy checkpoint (RLlib checkpoints are folders)."""
    p = Path(checkpoint)
    return p.suffix == ".pt" and p.is_file()


def _cmd_export(args: argparse.Namespace) -> int:
    if args.weights is not None and is_graph_checkpoint(args.checkpoint):
        raise UserError("--weights is for RLlib checkpoints (a .pt policy holds weights only)")
    if is_graph_checkpoint(args.checkpoint):
        return _cmd_export_graph(args)
    _require("torch", "ray", extra="train")
    if args.weights is not None:
        return _cmd_export_weights(args)
    if not args.out:
        raise UserError("give --out MODEL.onnx (or --weights DIR)")
    _require("onnx", "onnxruntime", extra="export")
    if args.parity_obs < 1:
        raise UserError(f"--parity-obs must be at least 1, got {args.parity_obs}")
    if not args.policy:
        raise UserError("--policy is required to export an RLlib checkpoint")
    import torch

    from aerena.agents.onnx_export import export_policy
    from aerena.training.evaluate import checkpoint_play_options

    torch.set_num_threads(1)
    modules, scenario, overrides = _load(args.checkpoint, args.scenario)
    play = checkpoint_play_options(args.checkpoint)  # how the run played its modules
    res = export_policy(
        modules,
        args.policy,
        args.out,
        scenario=scenario,
        overrides=overrides,
        opset=args.opset,
        int8=args.int8,
        report=args.report,
        parity_count=args.parity_obs,
        seed=args.seed,
        dynamo=args.dynamo,
        play=play,
    )
    if args.json:
        out = {
            "files": {r: str(p) for r, p in res.paths.items()},
            "parity": [vars(p) for p in res.parity],
            "report": res.report,
        }
        sys.stdout.write(json.dumps(out) + "\n")
        return 0
    for p in res.parity:
        print(f"parity {p.describe()}")
    for role, path in res.paths.items():
        print(f"wrote {path} ({role}, {'int8' if args.int8 else 'fp32'})")
    if res.report:
        print_latency(res.report)
    return 0


def _cmd_export_weights(args: argparse.Namespace) -> int:
    from aerena.training.evaluate import load_modules, resolve_checkpoint
    from aerena.training.weights import EXPERIMENT_FILE, save_weights

    ckpt, run_dir = resolve_checkpoint(Path(args.checkpoint).resolve())
    modules = load_modules(ckpt)
    exp_file = run_dir / EXPERIMENT_FILE if run_dir is not None else None
    exp_yaml = exp_file.read_text(encoding="utf-8") if exp_file is not None else None
    out = save_weights(modules, Path(args.weights), exp_yaml)
    if args.json:
        sys.stdout.write(json.dumps({"weights": str(out), "roles": sorted(modules)}) + "\n")
    else:
        print(f"wrote {out} (weights only: {', '.join(sorted(modules))})")
    return 0


def _cmd_export_graph(args: argparse.Namespace) -> int:
    """`aerena export POLICY.pt`: a graph-task policy (see the module docstring)."""
    _require("torch", extra="train")
    _require("onnx", "onnxruntime", extra="export")
    if args.parity_obs < 1:
        raise UserError(f"--parity-obs must be at least 1, got {args.parity_obs}")
    for flag, value in (("--policy", args.policy), ("--scenario", args.scenario)):
        if value:
            raise UserError(f"{flag} does not apply to a graph-policy checkpoint")
    if args.dynamo:
        raise UserError("--dynamo is not supported for graph policies (TorchScript exporter)")
    if not args.out:
        raise UserError("give --out MODEL.onnx")
    import torch

    from aerena.agents.solvers.base import load_checkpoint
    from aerena.agents.solvers.onnx import export_graph_policy
    from aerena.agents.solvers.onnx_problems import report_sizes, trained_size

    torch.set_num_threads(1)
    net, meta = load_checkpoint(args.checkpoint)
    size = trained_size(net.problem, meta, Path(args.checkpoint).name)
    res = export_graph_policy(
        net,
        args.out,
        opset=args.opset,
        int8=args.int8,
        parity_obs=args.parity_obs,
        meta=meta,
        report=args.report,
        report_at=report_sizes(net.problem, size),
        seed=args.seed,
    )
    if args.json:
        out = {
            "files": {net.problem: res["file"]},
            "problem": net.problem,
            "precision": res["precision"],
            "parity": res["parity"],
            "report": res["report"],
        }
        sys.stdout.write(json.dumps(out) + "\n")
        return 0
    from aerena.agents.solvers.onnx_parity import GraphParity

    for p in res["parity"]:
        print(f"parity {GraphParity(**p).describe()}")
    print(f"wrote {res['file']} ({net.problem}, {res['precision']})")
    if res["report"]:
        print_latency(res["report"], first="size")
    return 0


def print_latency(report: dict[str, dict[str, dict[str, float]]], first: str = "role") -> None:
    """The --report table (one row per role and runtime, plus the defender total)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title="batch-1 latency, one thread (ms over 1000 calls)")
    for col in (first, "runtime", "median ms", "p99 ms", "size KiB"):
        table.add_column(col, justify="left" if col in (first, "runtime") else "right")
    for role, rows in report.items():
        for runtime, r in rows.items():
            table.add_row(
                role,
                runtime,
                f"{r['median_ms']:.3f}",
                f"{r['p99_ms']:.3f}",
                f"{r['size_bytes'] / 1024:.0f}",
            )
    if len(report) > 1 and first == "role":
        runtimes = list(next(iter(report.values())))
        for runtime in runtimes:
            med = sum(rows[runtime]["median_ms"] for rows in report.values())
            size = sum(rows[runtime]["size_bytes"] for rows in report.values())
            table.add_row("all roles (sum)", runtime, f"{med:.3f}", "", f"{size / 1024:.0f}")
    Console(highlight=False).print(table)


# --------------------------------------------------------------------------------------
# aerena play-onnx
# --------------------------------------------------------------------------------------
def _add_play(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "play-onnx",
        help="play episodes with exported ONNX policies (numpy + onnxruntime only)",
        description="Play episodes with models from `aerena export` through aerena.deploy "
        "(no torch) against a scripted or random opponent, on the seeds of `aerena "
        "evaluate`, and print the side's summary (mean and 95% CI).",
    )
    p.add_argument("model", metavar="MODEL.onnx", nargs="+", help="the --out path or role files")
    p.add_argument("--scenario", metavar="NAME", help="scenario (default: the model's)")
    p.add_argument(
        "--episodes", type=cliargs.count(1), default=32, metavar="N", help="episodes (default 32)"
    )
    p.add_argument("--opponent", choices=("scripted", "random"), default="scripted")
    p.add_argument(
        "--seed", type=cliargs.seed, default=10_000, metavar="S", help="episode e: seed S+e"
    )
    cliargs.add_worlds_option(p, 16)
    p.add_argument("--json", action="store_true", help="print one JSON object, nothing else")
    p.set_defaults(func=cmd_play)


def play_onnx(
    model: str | Path | list[str],
    *,
    scenario: str | None = None,
    episodes: int = 32,
    opponent: str = "scripted",
    seed: int = 10_000,
    worlds: int = 16,
    overrides: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Episodes with the exported policy (torch-free); a JSON-able report."""
    from aerena.agents.scripted import make_player
    from aerena.deploy import OnnxPolicy
    from aerena.envs.airdefense.rollout import play_episodes
    from aerena.envs.airdefense.world import World
    from aerena.training.evaluate import side_table

    if episodes < 1:
        raise UserError(f"--episodes must be at least 1, got {episodes}")
    paths = model[0] if isinstance(model, list) and len(model) == 1 else model
    try:
        policy = OnnxPolicy.load(paths)
    except (FileNotFoundError, ValueError) as exc:
        raise UserError(str(exc)) from exc
    meta = next(iter(policy.models.values())).meta
    if scenario is None:
        scenario = meta.get("scenario")
        if not scenario:
            raise UserError("the model has no scenario in its metadata; give --scenario")
        if overrides is None:
            overrides = json.loads(meta.get("scenario_overrides", "{}"))
    side = "attacker" if "uav" in policy.models else "defender"
    other = "defender" if side == "attacker" else "attacker"
    world = World(scenario, min(max(1, worlds), episodes), **(overrides or {}))
    try:
        me = policy.player(world, side)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    opp = make_player(other, opponent, world, seed=player_seed(seed, other))
    rows = play_episodes(world, {side: me, other: opp}, episodes, seed)
    return {
        "models": {r: str(m.path) for r, m in policy.models.items()},
        "scenario": world.scenario.name,
        "overrides": dict(overrides or {}),
        "side": side,
        "opponent": opponent,
        "episodes": episodes,
        "seed": seed,
        "summary": side_table(rows, side),
        "rows": rows,
    }


def cmd_play(args: argparse.Namespace) -> int:
    _require("onnxruntime", extra="deploy")
    report = play_onnx(
        args.model,
        scenario=args.scenario,
        episodes=args.episodes,
        opponent=args.opponent,
        seed=args.seed,
        worlds=args.worlds,
    )
    if args.json:
        sys.stdout.write(json.dumps(report) + "\n")
        return 0
    from rich.console import Console
    from rich.table import Table

    from aerena.training.evaluate import METRICS, _cell

    table = Table(
        title=f"{report['scenario']}: ONNX {report['side']} vs {report['opponent']}, "
        f"{report['episodes']} episodes from seed {report['seed']}"
    )
    table.add_column("metric")
    table.add_column("mean [95% CI]", justify="right")
    for key, label in METRICS:
        table.add_row(label, _cell(report["summary"][key]))
    Console(highlight=False).print(table)
    return 0

"""The `aerena` command line: one entry point, subcommands, `--help` everywhere.

Each subcommand lives beside the code it drives and registers itself here through an
`add_parser(subparsers)` function that sets `func` on its parser. Errors that users can fix
(bad files, bad names) are raised as :class:`aerena.errors.UserError` and printed as one
clear message with exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from aerena.errors import UserError


def build_parser() -> argparse.ArgumentParser:
    from aerena import __version__
    from aerena.scenarios import cli as scenario_cli

    parser = argparse.ArgumentParser(
        prog="aerena",
        description="aerena: multi-agent air-defence worlds and graph-optimization tasks.",
    )
    parser.add_argument("--version", action="version", version=f"aerena {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    scenario_cli.add_parser(sub)
    _add_optional(sub, "aerena.envs.airdefense.rollout")
    _add_optional(sub, "aerena.envs.airdefense.whatif")
    _add_optional(sub, "aerena.training.cli")  # train, evaluate, run, league, tune
    _add_optional(sub, "aerena.training.export_cli")  # export, play-onnx
    _add_optional(sub, "aerena.viz.cli")  # replay
    _add_optional(sub, "aerena.graphs.cli")  # solve
    _add_optional(sub, "aerena.graphs.learned.cli")  # train-solver
    return parser


def _add_optional(sub: argparse._SubParsersAction, module: str) -> None:
    """Register a subcommand module if it exists (features land one issue at a time)."""
    import importlib

    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        return
    mod.add_parser(sub)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

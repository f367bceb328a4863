"""The `aerena` command line: one entry point, subcommands, `--help` everywhere.

Each subcommand lives beside the code it drives and registers itself here through an
`add_parser(subparsers)` function that sets `func` on its parser.

One error path: anything that comes from the input -- a bad option (the parser), a bad
file, name, checkpoint, model or replay (:class:`aerena.errors.UserError`), a path the
system refuses (``OSError``: a folder where a file was expected, no permission, no space),
or an allocation the machine cannot make (``MemoryError``) -- prints one ``error: ...``
line (a scenario's located errors follow it, one per line) and exits with status 2.
``aerena --debug COMMAND ...`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from aerena import __version__
from aerena.cliargs import Parser
from aerena.envs.airdefense import rollout, whatif
from aerena.errors import UserError
from aerena.graphs import cli as graphs_cli
from aerena.scenarios import cli as scenario_cli
from aerena.training import cli as training_cli
from aerena.training import export_cli, solver_cli
from aerena.viz import cli as viz_cli


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="aerena",
        description="aerena: multi-agent air-defence worlds and graph-optimization tasks.",
    )
    parser.add_argument("--version", action="version", version=f"aerena {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show the traceback of an error instead of one line"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    scenario_cli.add_parser(sub)  # scenario
    rollout.add_parser(sub)  # rollout
    whatif.add_parser(sub)  # whatif
    training_cli.add_parser(sub)  # train, evaluate, run, league, tune
    export_cli.add_parser(sub)  # export, play-onnx
    viz_cli.add_parser(sub)  # replay
    graphs_cli.add_parser(sub)  # solve
    solver_cli.add_parser(sub)  # train-solver
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UserError as exc:  # a usage error (Parser.error)
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except (UserError, OSError, MemoryError) as exc:
        if args.debug:
            raise
        print(f"error: {error_text(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def error_text(exc: BaseException) -> str:
    """The message of an input error, without Python's exception decorations."""
    if isinstance(exc, MemoryError):
        return f"not enough memory ({exc or 'allocation failed'}); ask for less"
    if isinstance(exc, OSError) and not isinstance(exc, UserError):
        what = exc.strerror or str(exc) or type(exc).__name__
        name = exc.filename2 or exc.filename or ""
        return f"{name}: {what}" if name else what
    return str(exc)


if __name__ == "__main__":
    sys.exit(main())

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

from aerena.cliargs import Parser
from aerena.errors import UserError


def build_parser() -> argparse.ArgumentParser:
    from aerena import __version__
    from aerena.scenarios import cli as scenario_cli

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

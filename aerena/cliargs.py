"""Argument types and limits shared by every subcommand's parser.

Each type turns a command-line string into a value in its domain or raises
:class:`argparse.ArgumentTypeError` with a message that names the domain; the parser then
prints one ``error: argument --x: ...`` line and exits with status 2 (see
:class:`aerena.cli.Parser`). Limits are generous for real use and small enough that no
option alone can make aerena allocate gigabytes or run for days.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import NoReturn

from aerena.errors import UserError

MAX_SEED = 2**31 - 1  # seeds are offset by episode / world indices; keep them in int32/int64
MAX_COUNT = 10**7  # episodes, worlds, samples, iterations: beyond this is a typo


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are a UserError (one ``error:`` line, exit 2,
    printed by :func:`aerena.cli.main`). Subcommand parsers inherit the class (argparse's
    ``parser_class`` default); a command that parses options of its own uses it too."""

    def error(self, message: str) -> NoReturn:
        raise UserError(f"{self.prog}: {message} (see {self.prog} --help)")


MAX_WORLDS = 65536  # worlds stepped together by one command


def add_worlds_option(parser: argparse.ArgumentParser, default: int) -> None:
    """The `--worlds B` option of the commands that play episodes in a batch."""
    parser.add_argument(
        "--worlds",
        type=count(1, MAX_WORLDS),
        default=default,
        metavar="B",
        help=f"worlds stepped together (default {default})",
    )


def seed(text: str) -> int:
    """A seed: an integer in [0, 2^31 - 1]."""
    value = _int(text)
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"a seed is an integer in [0, {MAX_SEED}], got {text}")
    return value


def count(lo: int = 1, hi: int = MAX_COUNT) -> Callable[[str], int]:
    """An integer in [lo, hi] (episodes, worlds, nodes, iterations, ...)."""

    def parse(text: str) -> int:
        value = _int(text)
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"expected an integer in [{lo}, {hi:,}], got {text}")
        return value

    parse.__name__ = "count"  # argparse names the type in its messages
    return parse


def positive(hi: float = math.inf) -> Callable[[str], float]:
    """A finite number in (0, hi] (seconds, minutes, rates, fps)."""
    return _finite(0.0, hi, open_low=True, name="positive")


def nonnegative(hi: float = math.inf) -> Callable[[str], float]:
    """A finite number in [0, hi] (a known objective value, a cost)."""
    return _finite(0.0, hi, open_low=False, name="nonnegative")


def _finite(lo: float, hi: float, *, open_low: bool, name: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        above = lo < value if open_low else lo <= value
        if not (math.isfinite(value) and above and value <= hi):
            left = "(" if open_low else "["
            bound = (
                f"{left}{lo:g}, {hi:g}]"
                if math.isfinite(hi)
                else (f"> {lo:g}" if open_low else f">= {lo:g}")
            )
            raise argparse.ArgumentTypeError(f"expected a finite number {bound}, got {text}")
        return value

    parse.__name__ = name  # argparse names the type in its messages
    return parse


def _int(text: str) -> int:
    try:
        return int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None

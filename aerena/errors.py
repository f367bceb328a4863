"""Errors a user can act on: printed as a clear message by the CLI, never as a traceback."""

from __future__ import annotations


class UserError(Exception):
    """Bad input from a user (a file, a name, an option): the message says what and where."""


class ScenarioError(UserError, ValueError):
    """A scenario that does not validate. The message names file, line, column and field."""

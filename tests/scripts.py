"""The repository's scripts (benchmarks/, examples/) loaded as modules by the tests."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def load_script(relpath: str, name: str | None = None, *, cache: bool = True) -> ModuleType:
    """The script at ROOT/`relpath` as a module named `name` (default
    ``aerena_script_<stem>``), registered in sys.modules (its dataclasses and pickles
    need that). With `cache` it is loaded once per test process; without, afresh."""
    path = ROOT / relpath
    name = name or f"aerena_script_{path.stem}"
    if cache and name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None, path
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod

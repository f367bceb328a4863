"""The viewer's place in the import graph: viz may import envs, envs never import viz (the
picture render modes get `aerena.viz.live.LiveView` from a factory registered in
`envs/airdefense/render_hook.py` by `aerena/__init__.py`); viz imports no
private names across modules and keeps imports at module top unless pygame (or imageio)
must stay lazy. Static checks over the source, and one fresh interpreter."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VIZ = ROOT / "viz"
OPTIONAL = ("pygame", "imageio", "imageio_ffmpeg")


def _imports(path: Path) -> list[tuple[ast.stmt, str, list[str], str | None]]:
    """(node, module, names, enclosing function or None) of every import in `path`."""
    tree = ast.parse(path.read_text(), str(path))
    out: list[tuple[ast.stmt, str, list[str], str | None]] = []

    def visit(node: ast.AST, func: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, child.name)
            elif isinstance(child, ast.Import):
                for a in child.names:
                    out.append((child, a.name, [], func))
            elif isinstance(child, ast.ImportFrom) and child.module:
                out.append((child, child.module, [a.name for a in child.names], func))
            else:
                visit(child, func)

    visit(tree, None)
    return out


def _pygame_at_top(module: str) -> bool:
    """Whether aerena.viz.<name> imports pygame at module top (directly or through viz)."""
    name = module.removeprefix("aerena.viz.")
    path = VIZ / f"{name}.py"
    if not path.exists():
        return False
    for _, mod, _, func in _imports(path):
        if func is None and (mod == "pygame" or (mod.startswith("aerena.viz.") and mod != module)):
            if mod == "pygame" or _pygame_at_top(mod):
                return True
    return False


def test_envs_never_import_viz() -> None:
    found = []
    for path in sorted((ROOT / "envs").rglob("*.py")):
        for _, mod, names, func in _imports(path):
            if mod == "aerena.viz" or mod.startswith("aerena.viz."):
                found.append((path.relative_to(ROOT).as_posix(), mod, names, func))
    assert found == []  # the viewer plugs in through envs/airdefense/render_hook.py
    # and importing the envs loads neither the viewer nor pygame
    code = (
        "import sys; import aerena.envs.airdefense.parallel, aerena.envs.airdefense.single; "
        "print(sorted(m for m in sys.modules if m.startswith(('aerena.viz', 'pygame'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_viz_imports_no_private_names() -> None:
    bad = []
    for path in sorted(ROOT.rglob("*.py")):
        if ".venv" in path.parts or "build" in path.parts:
            continue
        inside_viz = path.parent == VIZ
        for _, mod, names, _ in _imports(path):
            if not mod.startswith("aerena."):
                continue
            if inside_viz or mod.startswith("aerena.viz"):
                bad += [f"{path.relative_to(ROOT)}: {mod}.{n}" for n in names if n.startswith("_")]
    assert not bad


def test_viz_function_level_imports_only_keep_pygame_or_imageio_lazy() -> None:
    bad = []
    for path in sorted(VIZ.glob("*.py")):
        for node, mod, _, func in _imports(path):
            if func is None:
                continue
            lazy = mod.split(".")[0] in OPTIONAL or _pygame_at_top(mod)
            if not lazy:
                bad.append(f"{path.name}:{node.lineno} {mod} in {func}()")
    assert not bad, bad

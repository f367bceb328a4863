"""The library's import graph: no cycles, no private names taken across packages.

The graph is built from the source with `ast` (nothing is imported): one node per module
of the `aerena.*` packages (folders mapped as `pyproject.toml` maps them), one edge per
import at module level (inside ``if TYPE_CHECKING:`` excluded; imports inside functions
are not edges: they are how a heavy optional dependency stays lazy; a second check counts
them too, so that no lazy import hides a cycle). ``from P import x``
is an edge to ``P`` (the name is looked up in P, so ``P/__init__.py`` runs first) and
also to ``P.x`` when that is a module: a package's own modules take their siblings as
``from P.kernels import f`` or ``import P.kernels as K``, not ``from P import kernels``,
when ``P/__init__.py`` imports them back.

    python tests/test_import_graph.py    # print the cycles and private imports
"""

from __future__ import annotations

import ast
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------------------
# the graph
# --------------------------------------------------------------------------------------
def modules() -> dict[str, Path]:
    """Every library module by dotted name (`aerena.x.y`), from pyproject's package-dir."""
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())
    dirs = cfg["tool"]["setuptools"]["package-dir"]
    out: dict[str, Path] = {}
    for pkg in cfg["tool"]["setuptools"]["packages"]:
        top = max((p for p in dirs if pkg == p or pkg.startswith(p + ".")), key=len)
        folder = ROOT / dirs[top] / Path(*pkg[len(top) :].split(".")[1:])
        for f in sorted(folder.glob("*.py")):
            out[pkg if f.stem == "__init__" else f"{pkg}.{f.stem}"] = f
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _top_level(body: list[ast.stmt]):
    """Import statements run when the module is imported (not in functions or classes)."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                yield from _top_level(node.body)
            yield from _top_level(node.orelse)
        elif isinstance(node, ast.Try):
            for part in (node.body, node.orelse, node.finalbody):
                yield from _top_level(part)
            for h in node.handlers:
                yield from _top_level(h.body)
        elif isinstance(node, ast.With):
            yield from _top_level(node.body)


def _base(mod: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    parts = mod.split(".") if path.stem == "__init__" else mod.split(".")[:-1]
    parts = parts[: len(parts) - node.level + 1]
    return ".".join(parts + ([node.module] if node.module else []))


def imports(
    mods: dict[str, Path], everywhere: bool = False
) -> tuple[dict[str, set[str]], list[tuple[str, str, str]]]:
    """(edges: module -> the library modules it imports at module level (`everywhere`:
    in functions too), private: (importer, module, name) for every `_name` taken from
    another package, anywhere in the module)."""
    edges: dict[str, set[str]] = {m: set() for m in mods}
    private: list[tuple[str, str, str]] = []
    for mod, path in mods.items():
        tree = ast.parse(path.read_text(), str(path))
        pkg = mod if path.stem == "__init__" else mod.rpartition(".")[0]
        found = ast.walk(tree) if everywhere else _top_level(tree.body)
        for node in found:
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name in mods:
                        edges[mod].add(a.name)
                continue
            base = _base(mod, path, node)
            if base in mods:
                edges[mod].add(base)  # `from P import x` reads P, running P/__init__.py
            for a in node.names:
                if f"{base}.{a.name}" in mods:
                    edges[mod].add(f"{base}.{a.name}")
        # private names from another package, anywhere in the module (functions too)
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom):
                continue
            base = _base(mod, path, node)
            if base not in mods:
                continue
            for a in node.names:
                if not a.name.startswith("_") or a.name.startswith("__"):
                    continue
                if f"{base}.{a.name}" in mods:
                    continue  # a module, not a name
                owner = base if mods[base].stem == "__init__" else base.rpartition(".")[0]
                if owner != pkg:
                    private.append((mod, base, a.name))
    for mod in edges:
        edges[mod].discard(mod)
    return edges, private


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:  # recursion depth: the longest import chain (small)
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return sorted(out)


# --------------------------------------------------------------------------------------
# tests
# --------------------------------------------------------------------------------------
MODS = modules()
EDGES, PRIVATE = imports(MODS)
CYCLES = cycles(EDGES)


# the same with the imports inside functions counted: a lazy import must not hide a cycle
HIDDEN = cycles(imports(MODS, everywhere=True)[0])


def test_graph_sees_the_library() -> None:
    assert "aerena.envs.airdefense.kernels" in MODS and "aerena.graphs.tsp.baselines" in MODS
    assert "aerena.agents.scripted.base" in EDGES["aerena.agents.scripted.attacker"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycle() -> None:
    assert not CYCLES, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in CYCLES)


def test_no_import_cycle_behind_lazy_imports() -> None:
    assert not HIDDEN, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in HIDDEN)


def test_no_private_import_across_packages() -> None:
    assert not PRIVATE, "\n".join(f"{m} imports {b}.{n}" for m, b, n in PRIVATE)


# --------------------------------------------------------------------------------------
# layers (ARCHITECTURE.md)
# --------------------------------------------------------------------------------------
#: bottom to top; a module's layer is that of its longest matching prefix; `*.cli` modules
#: and the root package (the facade every `aerena.x` import runs first) are apps.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("core", ("aerena.errors", "aerena.jit", "aerena.rng", "aerena.files", "aerena.cliargs",
              "aerena.seeding", "aerena.version")),
    ("scenarios", ("aerena.scenarios",)),
    ("worlds and problems", ("aerena.envs", "aerena.graphs")),
    ("agents", ("aerena.agents", "aerena.deploy")),
    ("training and viewer", ("aerena.training", "aerena.viz")),
    ("apps", ("aerena.cli", "aerena.wrappers")),
]  # fmt: skip
#: the faces of the world that embed the scripted opponent (ARCHITECTURE.md, Rules)
UPWARD_ALLOWED = {
    ("aerena.envs.airdefense.single", "aerena.agents.scripted"),
    ("aerena.envs.airdefense.rollout", "aerena.agents.scripted"),
    ("aerena.envs.airdefense.whatif", "aerena.agents.scripted"),
}


#: layers whose packages are peers that must not import each other
PEER_LAYERS = (2, 4)


def layer_of(module: str) -> tuple[int, str]:
    """(layer index, the package prefix that placed it)."""
    if module == "aerena" or module.endswith(".cli"):
        return len(LAYERS) - 1, module
    best = (-1, "")
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > len(best[1]):
                best = (i, p)
    if best[0] < 0:
        raise AssertionError(f"{module} is in no layer of ARCHITECTURE.md")
    return best


def layer_violations(edges: dict[str, set[str]]) -> list[str]:
    """Imports that go up a layer or across to a peer package of the same layer."""
    bad = []
    for a, targets in sorted(edges.items()):
        la, pa = layer_of(a)
        for b in sorted(targets):
            if b == "aerena" or (a, b) in UPWARD_ALLOWED:
                continue
            lb, pb = layer_of(b)
            if lb > la or (la in PEER_LAYERS and lb == la and pa != pb):
                bad.append(f"{a} ({LAYERS[la][0]}) imports {b} ({LAYERS[lb][0]})")
    return bad


def test_layers_hold() -> None:
    bad = layer_violations(imports(MODS, everywhere=True)[0])
    assert not bad, "\n".join(bad)


def test_layer_check_catches_an_upward_and_a_peer_import() -> None:
    fake = {
        "aerena.envs.airdefense.world": {"aerena.training.train", "aerena.graphs.tsp"},
        "aerena.training.train": {"aerena.envs.airdefense.world", "aerena.errors"},
        "aerena.envs.airdefense.single": {"aerena.agents.scripted"},
    }
    bad = layer_violations(fake)
    assert len(bad) == 2 and all(b.startswith("aerena.envs.airdefense.world") for b in bad)


if __name__ == "__main__":
    for c in CYCLES:
        print("cycle:", " <-> ".join(c))
    for c in HIDDEN:
        print("cycle with imports in functions:", " <-> ".join(c))
    for m, b, n in PRIVATE:
        print(f"private: {m} imports {b}.{n}")

"""`aerena train-solver --config`: the solver-experiment schema, its run folder and resume."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from aerena.cli import main
from aerena.training.solver_config import SolverConfigError, load_solver_experiment

torch = pytest.importorskip("torch")

EXAMPLES = sorted(
    (Path(__file__).resolve().parents[1] / "training" / "experiments" / "solvers").glob("*.yaml")
)
TINY = """\
name: tiny
problem: tsp
algorithm: pomo
engine: torch
nodes: 8
iterations: {iterations}
batch_size: 4
model: {{dim: 16, heads: 2, layers: 1}}
seed: 3
validate_every: 1
checkpoint_every: 1
"""


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "aerena.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def test_every_example_validates():
    assert {p.name for p in EXAMPLES} >= {"tsp20_pomo.yaml", "cvrp20_pomo.yaml", "mvc_ppo.yaml"}
    algos = set()
    for path in EXAMPLES:
        cfg = load_solver_experiment(path)
        algos.add(cfg.algorithm)
        assert cfg.name == load_solver_experiment(path, {"iterations": 7}).name
        assert load_solver_experiment(path, {"iterations": 7}).iterations == 7
    assert algos == {"pomo", "ppo"}


def _docstring_yaml(doc: str) -> str:
    """The literal block (after a ``::`` line) of a docstring that starts ``problem:``."""
    import textwrap

    lines = doc.splitlines()
    start = next(
        i + 2
        for i, line in enumerate(lines[:-2])
        if line.rstrip().endswith("::") and lines[i + 2].strip().startswith("problem:")
    )
    block = []
    for line in lines[start:]:
        if line.strip() and not line.startswith(" "):
            break
        block.append(line)
    return textwrap.dedent("\n".join(block)).strip() + "\n"


@pytest.mark.parametrize("module", ["pomo", "pomo_rllib", "ppo", "gcomb"])
def test_trainer_docstring_example_validates(module, tmp_path):
    import importlib

    doc = importlib.import_module(f"aerena.training.solvers.{module}").__doc__
    assert "aerena train-solver --config FILE.yaml" in doc
    path = tmp_path / f"{module}.yaml"
    path.write_text(_docstring_yaml(doc), encoding="utf-8")
    cfg = load_solver_experiment(path)  # a stale key or value fails here, located
    assert cfg.algorithm == {"pomo_rllib": "pomo"}.get(module, module)


@pytest.mark.parametrize(
    "text, line, needle",
    [
        ("problem: tsp\niteratons: 3\n", 2, "did you mean 'iterations'"),
        ("problem: tsp\niterations: abc\n", 2, "iterations: expected an integer"),
        ("problem: tsq\niterations: 3\n", 1, "problem: expected one of"),
        ("problem: tsp\niterations: -2\n", 2, "iterations: expected a number >= 1"),
        ("problem: mvc\nalgorithm: pomo\niterations: 2\n", 2, "routing problems"),
        ("problem: tsp\niterations: 2\nmodel: {dim: 10, heads: 4}\n", 3, "multiple of heads"),
    ],
)
def test_bad_file_is_one_located_error(tmp_path, text, line, needle):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(SolverConfigError):
        load_solver_experiment(path)
    r = _cli("train-solver", "--config", str(path), "--run-dir", str(tmp_path / "run"))
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(f"error: {path}:{line}:"), lines[0]
    assert needle in lines[0]
    assert not (tmp_path / "run").exists()


def test_bad_set_and_flag_mixing(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text(TINY.format(iterations=1))
    r = _cli("train-solver", "--config", str(path), "--set", "iterations=0")
    assert r.returncode == 2 and "--set iterations" in r.stderr and "Traceback" not in r.stderr
    r = _cli("train-solver", "--config", str(path), "--set", "modle.dim=4")
    assert r.returncode == 2 and "did you mean 'model'" in r.stderr
    r = _cli("train-solver", "--config", str(path), "--nodes", "9")
    assert r.returncode == 2 and "flag form" in r.stderr


def _train(tmp_path: Path, name: str, iterations: int, *extra: str) -> Path:
    cfg = tmp_path / f"{name}.yaml"
    cfg.write_text(TINY.format(iterations=iterations))
    run = tmp_path / name
    assert main(["train-solver", "--config", str(cfg), "--run-dir", str(run), *extra]) == 0
    return run


def _weights(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=True)["state_dict"]


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_tiny_pomo_run_folder_model_solves(tmp_path):
    run = _train(tmp_path, "a", 3)
    assert {"config.yaml", "progress.jsonl", "model.pt", "summary.json"} <= {
        p.name for p in run.iterdir()
    }
    assert load_solver_experiment(run / "config.yaml").iterations == 3
    records = [json.loads(x) for x in (run / "progress.jsonl").read_text().splitlines()]
    assert [r["iteration"] for r in records] == [1, 2, 3]
    assert sorted(p.name for p in (run / "checkpoints").glob("*.pt"))[-1] == "iter_000003.pt"
    r = _cli("solve", "tsp", "--generate", "n=8,seed=1", "--method", "model",
             "--model", str(run / "model.pt"), "--json")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert sorted(json.loads(r.stdout)["solution"]) == list(range(8))
    # a second run into the same folder is refused (resume it instead)
    r = _cli("train-solver", "--config", str(tmp_path / "a.yaml"), "--run-dir", str(run))
    assert r.returncode == 2 and "--resume" in r.stderr


def test_resume_continues_and_same_seed_same_weights(tmp_path):
    straight = _train(tmp_path, "straight", 6)
    again = _train(tmp_path, "again", 6)
    assert _same(_weights(straight / "model.pt"), _weights(again / "model.pt"))
    short = _train(tmp_path, "short", 3)
    before = _weights(short / "model.pt")
    assert main(["train-solver", "--resume", str(short), "--set", "iterations=6"]) == 0
    records = [json.loads(x) for x in (short / "progress.jsonl").read_text().splitlines()]
    assert [r["iteration"] for r in records] == [1, 2, 3, 4, 5, 6]
    meta = torch.load(short / "model.pt", weights_only=True)["meta"]  # the best validated
    best = min(records, key=lambda r: r["val_length"])
    assert (meta["steps"], meta["instances"]) == (best["iteration"], 4 * best["iteration"])
    assert json.loads((short / "summary.json").read_text())["iterations"] == 6
    assert (short / "checkpoints" / "iter_000006.pt").is_file()
    after = _weights(short / "model.pt")
    assert not _same(before, after)
    # no work lost: the resumed run is the uninterrupted one, bit for bit
    assert _same(after, _weights(straight / "model.pt"))
    r = _cli("train-solver", "--resume", str(short), "--set", "nodes=9")
    assert r.returncode == 2 and "cannot change on --resume" in r.stderr

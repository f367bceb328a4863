"""`aerena solve` (aerena.graphs.cli) and the smoke run of benchmarks/graphs_quality.py."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from aerena.cli import main
from aerena.graphs import tsp
from aerena.graphs.cli import load, parse_spec, solve
from tests.scripts import load_script


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_benchmark_by_name_with_gap(capsys: pytest.CaptureFixture[str]) -> None:
    d = _json(capsys, ["solve", "tsp", "berlin52", "--method", "ls", "--json"])
    for key in ("objective", "gap", "time_s", "solution", "method", "problem"):
        assert key in d
    assert d["problem"] == "tsp" and d["method"] == "ls" and d["optimum"] == 7542
    assert d["gap"] == pytest.approx(100 * (d["objective"] - 7542) / 7542)
    assert sorted(d["solution"]) == list(range(52))


def test_text_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", "tsp", "burma14", "--method", "exact"]) == 0
    out = capsys.readouterr().out
    assert "objective  3323" in out and "gap +0.000%" in out and "time" in out


def test_time_limit_ils_and_out_tour(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "t.tour"
    argv = ["solve", "tsp", "--generate", "n=60,seed=1", "--method", "ils"]
    # warm up: on a fresh clone the first call also JIT-compiles the kernels (seconds on a
    # loaded CI machine), which `time_s` would count against the search's time limit
    _json(capsys, [*argv, "--time-limit", "0.01", "--json"])
    d = _json(capsys, [*argv, "--time-limit", "0.2", "--out", str(out), "--json"])
    assert d["gap"] is None and d["time_s"] < 5.0
    tour = tsp.read_tour(out)
    inst = tsp.generate("uniform", seed=1, num_nodes=60)
    assert tsp.objective(inst, tour) == pytest.approx(d["objective"])


def test_optimum_from_opt_tour_next_to_file(tmp_path: Path, capsys) -> None:
    inst = tsp.generate("uniform", seed=3, num_nodes=9)
    tsp.save_tsplib(tmp_path / "x.tsp", inst)
    tsp.write_tour(tmp_path / "x.opt.tour", tsp.solve(inst, "exact"))
    d = _json(capsys, ["solve", "tsp", str(tmp_path / "x.tsp"), "--method", "exact", "--json"])
    assert d["gap"] == pytest.approx(0.0, abs=1e-9)
    d = _json(capsys, ["solve", "tsp", str(tmp_path / "x.tsp"), "--optimum", "1", "--json"])
    assert d["optimum"] == 1.0


def test_cvrp_sol_and_other_problems(tmp_path: Path, capsys) -> None:
    d = _json(
        capsys,
        [
            "solve",
            "cvrp",
            "E-n22-k4",
            "--method",
            "savings",
            "--out",
            str(tmp_path / "e.sol"),
            "--json",
        ],
    )
    assert d["optimum"] == 375 and (tmp_path / "e.sol").read_text().startswith("Route #1")
    for prob, spec, method in (
        ("mvc", "n=40,kind=ba,m=2", "greedy"),
        ("maxcut", "n=30,kind=er,p=0.2", "localsearch"),
        ("maxcover", "n=20", "greedy"),
        ("wta", "n=5,num_targets=4", "localsearch"),
    ):
        out = tmp_path / f"{prob}.json"
        d = _json(
            capsys,
            ["solve", prob, "--generate", spec, "--method", method, "--out", str(out), "--json"],
        )
        saved = json.loads(out.read_text())
        assert saved["problem"] == prob and saved["objective"] == d["objective"]
        assert saved["solution"] == d["solution"]


def test_wta_json_instance_file(tmp_path: Path, capsys) -> None:
    f = tmp_path / "w.json"
    f.write_text(json.dumps({"kill_prob": [[0.5, 0.9], [0.8, 0.1]], "values": [10, 5]}))
    d = _json(capsys, ["solve", "wta", str(f), "--method", "exact", "--json"])
    assert d["solution"] == [1, 0]


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["solve", "tspp", "berlin52"], "did you mean 'tsp'"),
        (["solve", "tsp", "berlin52", "--method", "exakt"], "did you mean 'exact'"),
        (["solve", "tsp", "berlin5"], "did you mean 'berlin52'"),
        (["solve", "tsp", "gr17", "--method", "model"], "reads node coordinates"),
        (["solve", "tsp"], "give an instance"),
        (["solve", "tsp", "--generate", "n"], "key=value"),
        (["solve", "tsp", "E-n22-k4"], "is a cvrp benchmark"),
    ],
)
def test_user_errors_exit_2(argv: list[str], needle: str, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err and err.count("\n") == 1


def test_missing_extra_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "elkai", None)  # import elkai -> ImportError
    assert main(["solve", "tsp", "burma14", "--method", "lkh"]) == 2
    assert "pip install elkai" in capsys.readouterr().err


def test_helpers() -> None:
    assert parse_spec("n=10, seed=2,kind=ba,p=0.5") == {"n": 10, "seed": 2, "kind": "ba", "p": 0.5}
    inst, path, opt = load("tsp", "burma14")
    assert opt == 3323 and path is not None and path.exists()
    sol, name = solve("tsp", inst, "nn")
    assert name == "nearest" and np.sort(sol).tolist() == list(range(14))


# ------------------------------------------------------------------ benchmark smoke run


def _bench() -> ModuleType:
    return load_script("benchmarks/graphs_quality.py")


def test_kool_sets_are_prefixes() -> None:
    b = _bench()
    np.random.seed(1234)  # noqa: NPY002  (the paper's generator, literally)
    full = np.random.uniform(size=(10_000, 20, 2))  # noqa: NPY002
    assert np.array_equal(b.kool_tsp(20, 3), full[:3])
    depot, loc, demand, cap = b.kool_cvrp(20, 2)
    assert depot.shape == (2, 2) and loc.shape == (2, 20, 2) and cap == 30.0
    assert demand.min() >= 1 and demand.max() <= 9


def test_quick_benchmark_json(tmp_path: Path) -> None:
    out = tmp_path / "r" / "gq.json"
    argv = [
        "--quick",
        "--instances",
        "2",
        "--budget",
        "0.01",
        "--cpsat-time",
        "0.1",
        "--cover-nodes",
        "300",
        "--k",
        "5",
        "--no-pin",
        "--out",
        str(out),
    ]
    assert _bench().main(argv) == 0
    doc = json.loads(out.read_text())
    assert doc["instances"] == 2 and doc["quick"] is True
    res = doc["results"]
    assert {"tsp20", "cvrp20", "mvc", "maxcut", "maxcover"} <= set(res)
    for key in ("tsp20", "cvrp20", "mvc", "maxcut"):
        assert res[key]["instances"] >= 1 and res[key]["reference"]
        for m in res[key]["methods"].values():
            assert {"mean_objective", "mean_gap_pct", "time_s_per_instance"} <= set(m)
            assert m["failed"] > 0 or m["mean_gap_pct"] >= -1e-9
    assert 0 < res["maxcover"]["greedy_covered_fraction"] <= 1
    assert "POMO" in doc["published_targets"]["tsp100"]


def test_pyvrp_method(capsys, monkeypatch) -> None:
    """PyVRP (extra aerena[pyvrp]) reaches the CVRPLIB optimum of E-n22-k4 in a second."""
    pytest.importorskip("pyvrp")
    d = _json(
        capsys, ["solve", "cvrp", "E-n22-k4", "--method", "pyvrp", "--time-limit", "1", "--json"]
    )
    assert d["method"] == "pyvrp" and d["gap"] == pytest.approx(0.0)
    d = _json(capsys, ["solve", "cvrp", "--generate", "n=30,seed=4", "--method", "pyvrp",
                       "--time-limit", "0.5", "--json"])  # fmt: skip
    from aerena.graphs import cvrp

    inst = cvrp.generate("uniform", seed=4, num_nodes=30)
    cvrp.check_solution(inst, np.asarray(d["solution"]))
    assert d["objective"] == pytest.approx(cvrp.objective(inst, np.asarray(d["solution"])))
    monkeypatch.setitem(sys.modules, "pyvrp", None)  # as if it were not installed
    assert main(["solve", "cvrp", "E-n22-k4", "--method", "pyvrp"]) == 2
    assert "needs PyVRP" in capsys.readouterr().err


def test_tsplib_polish_part(monkeypatch) -> None:
    """The equal-time TSPLIB comparison: gaps to the known optimum are never negative."""
    b = _bench()
    monkeypatch.setattr(b, "MODELS", False)
    res = b.bench_tsplib(0.02, 0, ("eil51",))["tsplib_polish"]
    row = res["instances"]["eil51"]
    assert {"nearest + polish", "insertion + polish", "total_s"} <= set(row)
    assert all(v >= -1e-9 for v in res["mean_gap_pct"].values())

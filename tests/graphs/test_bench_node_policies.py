"""Smoke run of benchmarks/learned_node_policies.py: its tables and JSON on tiny inputs."""

from __future__ import annotations

import json

from tests.scripts import load_script


def _module():
    return load_script("benchmarks/learned_node_policies.py", "learned_node_policies", cache=False)


def test_node_policies_benchmark_runs(tmp_path, capsys):
    bench = _module()
    out = tmp_path / "r.json"
    assert bench.main(["--problems", "mvc", "--instances", "2", "--samples", "1",
                       "--out", str(out)]) == 0  # fmt: skip
    doc = json.loads(out.read_text())
    rows = {r["method"]: r for r in doc["problems"]["mvc"]["results"]["rows"]}
    assert {"greedy", "matching", "model greedy", "model onepass"} <= set(rows)
    assert rows["greedy"]["mean_ratio_vs_best_baseline"] >= 1.0
    assert "t/fastest" in capsys.readouterr().out


def test_im_section_small():
    bench = _module()
    from aerena.agents.solvers.base import load_checkpoint

    net, _ = load_checkpoint(bench.MODELS / "im.pt")
    res = bench.evaluate_im(net, per_family=1, n=150)
    rows = {r["method"]: r for r in res["rows"]}
    assert rows["celf"]["mean_spread_vs_celf"] == 1.0
    assert {"imm", "degreediscount", "degree", "model (3 forwards)"} <= set(rows)
    assert all(r["min_spread_vs_celf"] > 0.5 for r in rows.values())
    assert "graphs of" in bench._im_table(res)

"""Smoke test of benchmarks/env_throughput.py: it runs on a tiny budget and writes a
well-formed JSON record. No timing is asserted."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

from tests.scripts import load_script

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "env_throughput.py"


def _load() -> ModuleType:
    return load_script("benchmarks/env_throughput.py")


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return _load()


def _has_mpe2() -> bool:
    return importlib.util.find_spec("mpe2") is not None


def test_quick_run_writes_well_formed_json(bench: ModuleType, tmp_path: Path) -> None:
    out = tmp_path / "sub" / "env_throughput.json"
    argv = ["--quick", "--rows", "a,b,c", "--seconds", "0.02", "--repeats", "2", "--window", "3"]
    result = bench.main([*argv, "--advance", "3", "--no-pin", "--out", str(out)])
    assert out.is_file()
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temp file left behind
    data = json.loads(out.read_text())
    assert data == json.loads(json.dumps(result))
    assert data["benchmark"] == "env_throughput"
    assert data["schema_version"] == bench.SCHEMA_VERSION

    h = data["header"]
    keys = "timestamp python numpy numba cpu_count affinity loadavg_start loadavg_end seconds"
    for key in (*keys.split(), "repeats", "quick", "groups", "advance", "window"):
        assert key in h, key
    assert h["quick"] is True and h["repeats"] == 2 and h["groups"] == ["a", "b", "c"]
    assert h["window"] == 3 and h["advance"] == 3

    rows = {r["id"]: r for r in data["rows"]}
    expected = {
        "a.mpe2",
        "a.aerena",
        "b.world.B1",
        "b.world.B64",
        "b.world.B1024",
        "b.vector.B1024",
        "c.swarm.10",
        "c.swarm.100",
        "c.swarm.1000",
    }
    assert set(rows) == expected
    for rid, r in rows.items():
        if rid == "a.mpe2" and not _has_mpe2():
            assert r["error"]
            continue
        assert r["error"] is None, (rid, r["error"])
        assert len(r["repeats"]) == 2
        for rep in r["repeats"]:
            assert rep["world_steps"] >= 1 and rep["agent_steps"] >= rep["world_steps"]
            assert rep["seconds"] > 0
        for key in (
            "world_steps_per_s",
            "agent_steps_per_s",
            "live_agent_steps_per_s",
            "us_per_world_step",
            "episodes_per_s",
            "spread",
        ):
            assert isinstance(r[key], float), (rid, key)
        assert r["num_agents"] >= 1

    assert rows["a.aerena"]["num_agents"] == 11
    assert "env_steps_per_s_with_action_choice" in rows["a.aerena"]
    assert rows["b.world.B1024"]["num_worlds"] == 1024
    for n in (10, 100, 1000):
        r = rows[f"c.swarm.{n}"]
        assert r["n_uavs"] == n
        assert r["units"] > n
        assert r["us_per_step_per_unit"] > 0
    for n in (100, 1000):
        assert isinstance(rows[f"c.swarm.{n}"]["growth_exponent"], float)
        assert rows[f"c.swarm.{n}"]["growth_exponent_nlogn"] > 1.0

    targets = data["summary"]["targets"]
    names = {
        "core_agent_steps_per_s",
        "swarm_1000_world_steps_per_s",
        "scaling_no_worse_than_nlogn",
    }
    if _has_mpe2():
        names.add("pettingzoo_ratio_vs_mpe2")
        pz = data["summary"]["pettingzoo"]
        assert set(pz) == {"ratio_env_steps", "ratio_env_steps_with_action_choice"}
    assert set(targets) == names
    for t in targets.values():
        assert isinstance(t["value"], float) and isinstance(t["met"], bool)


def test_scaled_swarm_sizes(bench: ModuleType) -> None:
    for n in (10, 100):
        sc = bench.scaled_swarm(n)
        carriers = sc.attacker.carriers
        assert sum(l.count for c in carriers for l in c.launches) == n
        assert sc.name == f"swarm_{n}"
    assert len(bench.scaled_swarm(10).attacker.carriers) == 1
    assert len(bench.scaled_swarm(100).attacker.carriers) == 10
    assert bench.scaled_swarm(100).defender.batteries[0].count == 2


def test_rows_option_is_validated(bench: ModuleType) -> None:
    with pytest.raises(SystemExit):
        bench.parse_args(["--rows", "a,x"])
    args = bench.parse_args(["--quick", "--rows", "b"])
    assert args.groups == ["b"] and args.seconds == 0.2


def test_trained_vs_scripted_reference_rows(tmp_path: Path) -> None:
    """benchmarks/trained_vs_scripted.py without a checkpoint: the reference rows only."""
    name = "aerena_bench_trained_vs_scripted"
    path = SCRIPT.parent / "trained_vs_scripted.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = tmp_path / "tvs.json"
    argv = ["--scenario", "tiny", "--episodes", "3", "--quiet-until", "20", "--out", str(out)]
    assert mod.main(argv) == 0
    rec = json.loads(out.read_text())
    assert rec["benchmark"] == "trained_vs_scripted" and rec["results"] == []
    labels = [r["label"] for r in rec["references"]]
    assert labels == ["random defender", "scripted defender, radar silent until 20 s"]
    for r in rec["references"]:
        saved = r["summary"]["asset_value_saved"]
        assert saved["ci95"][0] <= saved["mean"] <= saved["ci95"][1]
    # a path that is no run folder or checkpoint: a one-line error, exit status 2
    assert mod.main(["--defender", str(tmp_path), "--out", str(out)]) == 2

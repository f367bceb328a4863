"""benchmarks/step_profile.py (the env benchmark's row p): well-formed, every phase counted."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def sp():
    sys.path.insert(0, str(BENCH))
    import step_profile

    return step_profile


def test_profile_counts_every_phase(sp) -> None:
    from aerena.envs.airdefense import kernels

    on = sp.profile(worlds=8, steps=4, uavs_observed=True)
    off = sp.profile(worlds=8, steps=4, uavs_observed=False)
    src = getattr(kernels.step_block, "py_func", kernels.step_block).__code__.co_names
    assert [p["phase"] for p in on["phases"]] == [n for n, _ in sp.PHASES]
    assert all(name in src for name, _ in sp.PHASES)
    for p in (on, off):
        assert p["world_steps"] > 0 and p["whole_step_us"] > 0
        assert p["phase_sum_us"] == pytest.approx(sum(x["us"] for x in p["phases"]))
        assert sum(x["share"] for x in p["phases"]) == pytest.approx(1.0)
        assert p["dispatch_us"] == pytest.approx(p["whole_step_us"] - p["phase_sum_us"])
    assert on["limits"]["observe_uavs_ns_per_live_uav"] > 0
    # same snapshot and actions: the same live UAVs in both
    assert on["live_uavs_per_world_step"] == off["live_uavs_per_world_step"]


def test_env_throughput_row_p(tmp_path: Path) -> None:
    sys.path.insert(0, str(BENCH))
    import env_throughput

    out = tmp_path / "r.json"
    env_throughput.main(["--quick", "--rows", "p", "--out", str(out), "--no-pin"])
    data = json.loads(out.read_text())
    assert [p["uavs_observed"] for p in data["profile"]] == [True, False]
    with pytest.raises(SystemExit):
        env_throughput.parse_args(["--rows", "p,q"])

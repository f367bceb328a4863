"""The compute-limit helpers of benchmarks/rllib_throughput.py (no RLlib run, no timing
asserted): FLOPs by matmul shape sum to the layer-by-layer count, the model-shape rates
are measured for every part, the spread of one value is 0."""

from __future__ import annotations

import math
from types import ModuleType

import pytest

from tests.scripts import load_script

pytest.importorskip("torch")


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_script("benchmarks/rllib_throughput.py")


M = {"dim": 32, "embed_dim": 24, "hidden": 40, "layers": 2, "heads": 4}


def _reference(S: int, F: int, K: int, n_act: int, role: str) -> float:
    """The closed form of the FLOP count, written out once more."""
    D, E, H, L = M["dim"], M["embed_dim"], M["hidden"], M["layers"]
    N = K + 1
    f = 2 * (S * D + K * F * D)
    f += L * (2 * 4 * N * D * D + 2 * 2 * N * N * D + 2 * N * D * 2 * D * 2)
    f += 2 * ((2 * D + 1) * E + E * E)
    mlp = lambda i, o: 2 * (i * H + H * H + H * o)  # noqa: E731
    head = mlp(E, 1) + K * mlp(D + E, 1) if role == "launcher" else mlp(E, n_act)
    return float(f + head + mlp(E, 1))


@pytest.mark.parametrize(("role", "n_act"), [("launcher", 7), ("radar", 2), ("uav", 54)])
def test_flop_parts_sum_to_the_closed_form(bench: ModuleType, role: str, n_act: int) -> None:
    parts = bench.role_flops_parts(11, 9, 6, n_act, M, role)
    assert set(parts) == {"proj", "linear", "attention", "ffn", "mlp", "pointer"}
    assert (parts["pointer"] > 0) == (role == "launcher")
    assert bench.role_flops(11, 9, 6, n_act, M, role) == _reference(11, 9, 6, n_act, role)


def test_shape_rates_and_spread(bench: ModuleType) -> None:
    rates = bench.shape_rates(5, 7, 6, M, rows=8, seconds=0.005)
    assert set(rates) == set(bench.role_flops_parts(5, 7, 6, 2, M, "radar"))
    assert all(math.isfinite(r) and r > 0 for r in rates.values())
    assert bench.spread_of([3.0]) == 0.0
    assert bench.spread_of([1.0, 2.0, 4.0]) == pytest.approx(1.5)

"""CVRP: generators, baselines, the exact DP against brute force, CVRPLIB files, optima."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aerena.graphs import cvrp
from aerena.graphs.common import benchmarks
from aerena.graphs.common.io import FormatError
from aerena.graphs.common.registry import InstanceTooLargeError, InvalidSolutionError

try:
    from tests.graphs import graphs_ref as ref
except ImportError:  # pragma: no cover
    import graphs_ref as ref

HEURISTICS = ("nearest", "savings", "sweep", "ls", "ils")


@pytest.mark.parametrize(("n", "cap"), [(10, 20), (20, 30), (50, 40), (100, 50)])
def test_kool_generator(n, cap):
    inst = cvrp.generate("uniform", seed=0, num_nodes=n)
    assert inst.capacity == cap and inst.n == n
    q = inst.demand
    assert q[0] == 0 and q[1:].min() >= 1 and q[1:].max() <= 9
    again = cvrp.generate("uniform", seed=0, num_nodes=n)
    np.testing.assert_array_equal(inst.coords, again.coords)
    np.testing.assert_array_equal(inst.demand, again.demand)


def test_capacity_interpolates_between_kool_sizes():
    assert cvrp.kool_capacity(15) == 25 and cvrp.kool_capacity(200) == 60


@settings(max_examples=20, deadline=None)
@given(
    n=st.integers(1, 30), seed=st.integers(0, 2**31), gen=st.sampled_from(["uniform", "clustered"])
)
def test_heuristics_return_valid_solutions(n, seed, gen):
    inst = cvrp.generate(gen, seed=seed, num_nodes=n)
    for name in HEURISTICS:
        kw = {"seed": seed, "iterations": 30} if name == "ils" else {}
        giant = cvrp.solve(inst, name, **kw)
        cvrp.check_solution(inst, giant)
        assert giant[0] == 0 and giant[-1] == 0
        assert cvrp.giant_tour_length(inst.dist, giant) == pytest.approx(
            ref.giant_length(inst.dist, giant)
        )
    savings = cvrp.objective(inst, cvrp.solve(inst, "savings"))
    assert cvrp.objective(inst, cvrp.solve(inst, "ls")) <= savings + 1e-9


@pytest.mark.parametrize("n", [1, 2, 4, 6])
def test_exact_dp_matches_brute_force(n):
    for seed in range(3):
        inst = cvrp.generate("uniform", seed=seed, num_nodes=n, capacity=12)
        giant = cvrp.solve(inst, "exact")
        want = ref.cvrp_brute_force(inst.dist, inst.demand, inst.capacity)
        assert cvrp.objective(inst, giant) == pytest.approx(want)


def test_ils_reaches_exact_on_small_instances():
    for seed in range(4):
        inst = cvrp.generate("uniform", seed=seed, num_nodes=10)
        opt = cvrp.objective(inst, cvrp.solve(inst, "exact"))
        for name in ("savings", "ls", "ils"):
            assert cvrp.objective(inst, cvrp.solve(inst, name)) >= opt - 1e-9
        assert cvrp.objective(inst, cvrp.solve(inst, "ils", seed=0)) == pytest.approx(opt)


def test_exact_refuses_large_instances():
    with pytest.raises(InstanceTooLargeError, match="n <= 14"):
        cvrp.solve(cvrp.generate("uniform", seed=0, num_nodes=15), "exact")


@pytest.mark.parametrize("name", ["E-n22-k4", "A-n32-k5"])
def test_cvrplib_optima_reproduced(name):
    inst = benchmarks.load(name)
    opt = benchmarks.OPTIMA[name]
    ls = cvrp.objective(inst, cvrp.solve(inst, "ls"))
    assert opt <= ls <= 1.08 * opt
    assert cvrp.objective(inst, cvrp.solve(inst, "ils", seed=0, iterations=2000)) == opt


def test_published_solution_file():
    inst = benchmarks.load("A-n32-k5")
    giant, cost = cvrp.load_solution(benchmarks.DATA_DIR / "cvrp" / "A-n32-k5.sol")
    assert cost == 784 and cvrp.objective(inst, giant) == 784
    assert len(cvrp.routes_of(giant)) == inst.num_vehicles == 5


def test_cvrplib_round_trip(tmp_path):
    for inst in (benchmarks.load("E-n22-k4"), cvrp.generate("clustered", seed=2, num_nodes=9)):
        back = cvrp.load_cvrplib(cvrp.save_cvrplib(tmp_path / f"{inst.name}.vrp", inst))
        np.testing.assert_array_equal(back.dist, inst.dist)
        np.testing.assert_array_equal(back.demand, inst.demand)
        assert back.capacity == inst.capacity
        giant = cvrp.solve(inst, "savings")
        cost = cvrp.objective(inst, giant)
        g2, c2 = cvrp.load_solution(cvrp.save_solution(tmp_path / "x.sol", giant, cost))
        np.testing.assert_array_equal(g2, giant)
        assert c2 == pytest.approx(cost)


def test_depot_not_first_is_moved_to_zero(tmp_path):
    p = tmp_path / "d.vrp"
    p.write_text(
        "NAME: d\nTYPE: CVRP\nDIMENSION: 3\nEDGE_WEIGHT_TYPE: EUC_2D\nCAPACITY: 5\n"
        "NODE_COORD_SECTION\n1 0 0\n2 3 4\n3 6 8\nDEMAND_SECTION\n1 2\n2 0\n3 3\n"
        "DEPOT_SECTION\n2\n-1\nEOF\n"
    )
    inst = cvrp.load_cvrplib(p)
    np.testing.assert_array_equal(inst.coords[0], [3, 4])
    np.testing.assert_array_equal(inst.demand, [0, 2, 3])


def test_bad_vrp_file(tmp_path):
    p = tmp_path / "bad.vrp"
    p.write_text(
        "NAME: b\nTYPE: CVRP\nDIMENSION: 2\nEDGE_WEIGHT_TYPE: EUC_2D\n"
        "NODE_COORD_SECTION\n1 0 0\n2 1 1\nEOF\n"
    )
    with pytest.raises(FormatError, match="missing CAPACITY"):
        cvrp.load_cvrplib(p)


def test_check_solution_rejects_overload_and_repeats():
    inst = cvrp.generate("uniform", seed=0, num_nodes=10)
    with pytest.raises(InvalidSolutionError, match="carries"):
        cvrp.check_solution(inst, np.arange(0, 11))
    with pytest.raises(InvalidSolutionError, match="served 2 times"):
        cvrp.check_solution(inst, np.array([0, 1, 0, 1, 0]))

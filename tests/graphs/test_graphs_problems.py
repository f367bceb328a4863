"""MVC, MaxCut, MaxCover, WTA: generators, objectives against NumPy, baselines valid,
exact solvers against brute force, CP-SAT (when OR-Tools is installed) against both."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aerena.graphs import im, maxcover, maxcut, mvc, wta
from aerena.graphs.common.cpsat import have_ortools
from aerena.graphs.common.registry import InstanceTooLargeError, InvalidSolutionError

try:
    from tests.graphs import graphs_ref as ref
except ImportError:  # pragma: no cover
    import graphs_ref as ref

needs_ortools = pytest.mark.skipif(not have_ortools(), reason="OR-Tools not installed")
GRAPHS = ("er", "ba", "ws")


def _params(kind):
    return {"er": {"p": 0.3}, "ba": {"m": 2}, "ws": {"k": 4, "rewire": 0.3}}[kind]


# ------------------------------------------------------------------------ generators


@pytest.mark.parametrize("module", [mvc, maxcut, maxcover, wta, im])
def test_every_generator_is_seeded(module):
    for name in module.GENERATORS:
        a, b, c = (module.generate(name, seed=s) for s in (5, 5, 6))
        arrays = [np.asarray(x) for x in _arrays(a)]
        for x, y in zip(arrays, _arrays(b), strict=True):
            np.testing.assert_array_equal(x, y)
        assert any(
            x.shape != np.shape(y) or not np.array_equal(x, y)
            for x, y in zip(arrays, _arrays(c), strict=True)
        )


def _arrays(inst):
    if hasattr(inst, "graph"):
        return [inst.graph.edges, inst.graph.weights]
    if hasattr(inst, "arcs"):
        return [inst.arcs, inst.prob]
    if hasattr(inst, "set_items"):
        return [inst.set_ptr, inst.set_items, inst.item_weights, inst.set_costs]
    return [inst.kill_prob, inst.values]


# ------------------------------------------------------------------------ MVC


@settings(max_examples=20, deadline=None)
@given(
    n=st.integers(6, 40),
    seed=st.integers(0, 2**31),
    kind=st.sampled_from(GRAPHS),
    weighted=st.booleans(),
)
def test_mvc_heuristics_valid(n, seed, kind, weighted):
    inst = mvc.generate(
        kind,
        seed=seed,
        num_nodes=n,
        node_weights="uniform" if weighted else "unit",
        **_params(kind),
    )
    for name in ("greedy", "matching"):
        x = mvc.solve(inst, name)
        mvc.check_solution(inst, x)
        assert mvc.objective(inst, x) == pytest.approx(float(inst.node_weights[x].sum()))


@pytest.mark.parametrize("kind", GRAPHS)
def test_mvc_exact_matches_brute_force(kind):
    for seed in range(3):
        inst = mvc.generate(kind, seed=seed, num_nodes=10, node_weights="uniform", **_params(kind))
        want = ref.mvc_brute_force(inst.n, inst.graph.edges, inst.node_weights)
        assert mvc.objective(inst, mvc.solve(inst, "exact")) == pytest.approx(want)
        greedy = mvc.objective(inst, mvc.solve(inst, "greedy"))
        assert greedy >= want - 1e-9
        unit = mvc.generate(kind, seed=seed, num_nodes=10, **_params(kind))
        opt = mvc.objective(unit, mvc.solve(unit, "exact"))
        assert mvc.objective(unit, mvc.solve(unit, "matching")) <= 2 * opt


@needs_ortools
def test_mvc_cpsat_matches_brute_force():
    for seed in range(3):
        inst = mvc.generate("er", seed=seed, num_nodes=16, p=0.25, node_weights="uniform")
        a = mvc.objective(inst, mvc.solve(inst, "cpsat"))
        assert a == pytest.approx(mvc.objective(inst, mvc.solve(inst, "bruteforce")))


def test_mvc_rejects_uncovering_solution():
    inst = mvc.generate("ba", seed=0, num_nodes=10, m=2)
    with pytest.raises(InvalidSolutionError, match="not covered"):
        mvc.objective(inst, np.zeros(10, dtype=bool))


# ------------------------------------------------------------------------ MaxCut


@settings(max_examples=20, deadline=None)
@given(
    n=st.integers(6, 40),
    seed=st.integers(0, 2**31),
    kind=st.sampled_from(GRAPHS),
    weights=st.sampled_from(["unit", "uniform", "signed"]),
)
def test_maxcut_objective_and_local_optimum(n, seed, kind, weights):
    inst = maxcut.generate(kind, seed=seed, num_nodes=n, weights=weights, **_params(kind))
    g = inst.graph
    greedy = maxcut.objective(inst, maxcut.solve(inst, "greedy"))
    side = maxcut.solve(inst, "localsearch")
    value = maxcut.objective(inst, side)
    assert value == pytest.approx(ref.cut_value(g.edges, g.weights, side))
    assert value >= greedy - 1e-9
    for v in range(n):  # no single flip improves
        flipped = side.copy()
        flipped[v] ^= 1
        assert ref.cut_value(g.edges, g.weights, flipped) <= value + 1e-9


@pytest.mark.parametrize("weights", ["unit", "uniform", "signed"])
def test_maxcut_exact_matches_brute_force(weights):
    for kind in GRAPHS:
        inst = maxcut.generate(kind, seed=1, num_nodes=10, weights=weights, **_params(kind))
        want = ref.maxcut_brute_force(inst.n, inst.graph.edges, inst.graph.weights)
        assert maxcut.objective(inst, maxcut.solve(inst, "exact")) == pytest.approx(want)


@needs_ortools
def test_maxcut_cpsat_matches_brute_force():
    for weights in ("unit", "signed", "uniform"):
        inst = maxcut.generate("er", seed=3, num_nodes=14, p=0.3, weights=weights)
        a = maxcut.objective(inst, maxcut.solve(inst, "cpsat"))
        b = maxcut.objective(inst, maxcut.solve(inst, "bruteforce"))
        assert a == pytest.approx(b, rel=1e-6)


# ------------------------------------------------------------------------ MaxCover


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    gen=st.sampled_from(["bipartite", *GRAPHS]),
    costs=st.sampled_from(["unit", "uniform"]),
    budget=st.integers(1, 8),
)
def test_maxcover_greedy_valid(seed, gen, costs, budget):
    inst = maxcover.generate(gen, seed=seed, num_sets=15, costs=costs, budget=budget)
    x = maxcover.solve(inst, "greedy")
    maxcover.check_solution(inst, x)
    want = ref.covered_weight(inst.sets(), inst.item_weights, x)
    assert maxcover.objective(inst, x) == pytest.approx(want)


@pytest.mark.parametrize("costs", ["unit", "uniform"])
def test_maxcover_exact_matches_brute_force(costs):
    for gen in ("bipartite", *GRAPHS):
        inst = maxcover.generate(gen, seed=2, num_sets=10, costs=costs)
        want = ref.maxcover_brute_force(inst.sets(), inst.item_weights, inst.set_costs, inst.budget)
        assert maxcover.objective(inst, maxcover.solve(inst, "exact")) == pytest.approx(want)
        greedy = maxcover.objective(inst, maxcover.solve(inst, "greedy"))
        bound = (1 - 1 / np.e) if costs == "unit" else (1 - 1 / np.e) / 2
        assert want * bound - 1e-9 <= greedy <= want + 1e-9


@needs_ortools
def test_maxcover_cpsat_matches_brute_force():
    for costs in ("unit", "uniform"):
        inst = maxcover.generate("bipartite", seed=4, num_sets=14, costs=costs)
        a = maxcover.objective(inst, maxcover.solve(inst, "cpsat"))
        assert a == pytest.approx(maxcover.objective(inst, maxcover.solve(inst, "bruteforce")))


def test_maxcover_budget_is_checked():
    inst = maxcover.generate("bipartite", seed=0, num_sets=10, budget=2)
    with pytest.raises(InvalidSolutionError, match="budget"):
        maxcover.objective(inst, np.ones(10, dtype=bool))


# ------------------------------------------------------------------------ WTA


@settings(max_examples=20, deadline=None)
@given(m=st.integers(1, 12), n=st.integers(1, 12), seed=st.integers(0, 2**31))
def test_wta_heuristics_valid(m, n, seed):
    inst = wta.generate("uniform", seed=seed, num_weapons=m, num_targets=n)
    mmr = wta.solve(inst, "mmr")
    ls = wta.solve(inst, "localsearch")
    for a in (mmr, ls):
        wta.check_solution(inst, a)
        assert wta.objective(inst, a) == pytest.approx(
            ref.wta_value(inst.kill_prob, inst.values, a)
        )
    assert wta.objective(inst, ls) <= wta.objective(inst, mmr) + 1e-9


@pytest.mark.parametrize(("m", "n"), [(1, 3), (3, 3), (5, 4), (4, 6)])
def test_wta_exact_matches_brute_force(m, n):
    for seed in range(3):
        inst = wta.generate("uniform", seed=seed, num_weapons=m, num_targets=n)
        want = ref.wta_brute_force(inst.kill_prob, inst.values)
        assert wta.objective(inst, wta.solve(inst, "exact")) == pytest.approx(want)
        assert wta.objective(inst, wta.solve(inst, "localsearch")) >= want - 1e-9


@needs_ortools
def test_wta_cpsat_matches_brute_force():
    for seed in range(2):
        inst = wta.generate("uniform", seed=seed, num_weapons=5, num_targets=4)
        a = wta.objective(inst, wta.solve(inst, "cpsat"))
        b = wta.objective(inst, wta.solve(inst, "bruteforce"))
        assert a == pytest.approx(b, rel=1e-3)


def test_wta_bruteforce_refuses_large():
    with pytest.raises(InstanceTooLargeError):
        wta.solve(wta.generate("uniform", seed=0, num_weapons=12, num_targets=10), "bruteforce")


def test_wta_rejects_bad_assignment():
    inst = wta.generate("uniform", seed=0, num_weapons=3, num_targets=2)
    with pytest.raises(InvalidSolutionError, match="targets must be"):
        wta.objective(inst, np.array([0, 1, 2]))

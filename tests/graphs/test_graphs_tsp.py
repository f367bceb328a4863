"""TSP: TSPLIB distances and files, baselines, Held-Karp, the shipped benchmark optima."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aerena.graphs import tsp
from aerena.graphs.common import benchmarks
from aerena.graphs.common.distances import distance_matrix
from aerena.graphs.common.io import FormatError, parse_tsplib
from aerena.graphs.common.registry import InstanceTooLargeError, UnknownNameError

try:
    from tests.graphs import graphs_ref as ref
except ImportError:  # pragma: no cover - rootdir-relative import
    import graphs_ref as ref

HEURISTICS = ("nearest", "insertion", "2opt", "oropt", "ls", "ils")


@pytest.mark.parametrize("kind", ["EUC_2D", "CEIL_2D", "ATT", "GEO", "EUC"])
def test_distance_functions_match_reference(kind):
    rng = np.random.default_rng(7)
    if kind == "GEO":  # DDD.MM latitude / longitude, both signs
        c = np.round(rng.uniform([-80, -179], [80, 179], size=(25, 2)), 2)
    else:
        c = np.round(rng.uniform(0, 5000, size=(25, 2)), 1)
    d = distance_matrix(c, kind)
    want = np.array(
        [
            [ref.tsplib_distance(a, b, kind) if i != j else 0.0 for j, b in enumerate(c)]
            for i, a in enumerate(c)
        ]
    )
    np.testing.assert_array_equal(d, want)


def test_tour_length_matches_reference():
    rng = np.random.default_rng(0)
    inst = tsp.generate("uniform", seed=1, num_nodes=30)
    for _ in range(5):
        t = rng.permutation(30)
        assert tsp.tour_length(inst.dist, t) == pytest.approx(ref.tour_length(inst.dist, t))


@pytest.mark.parametrize("gen", ["uniform", "clustered"])
def test_generators_seeded(gen):
    a = tsp.generate(gen, seed=3, num_nodes=15)
    b = tsp.generate(gen, seed=3, num_nodes=15)
    c = tsp.generate(gen, seed=4, num_nodes=15)
    np.testing.assert_array_equal(a.coords, b.coords)
    assert not np.array_equal(a.coords, c.coords)
    assert a.n == 15 and np.all((a.coords >= 0) & (a.coords <= 1))


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(2, 40), seed=st.integers(0, 2**31), gen=st.sampled_from(["uniform", "clustered"])
)
def test_heuristics_return_valid_tours(n, seed, gen):
    inst = tsp.generate(gen, seed=seed, num_nodes=n)
    nn = tsp.objective(inst, tsp.solve(inst, "nearest"))
    for name in HEURISTICS:
        tour = tsp.solve(inst, name, seed=seed) if name == "ils" else tsp.solve(inst, name)
        tsp.check_solution(inst, tour)
        assert tour[0] == 0
        if name in ("2opt", "oropt", "ls", "ils"):  # local search never worsens its start
            assert tsp.objective(inst, tour) <= nn + 1e-9


def test_full_2opt_is_a_local_optimum():
    inst = tsp.generate("uniform", seed=5, num_nodes=40)
    tour = tsp.solve(inst, "2opt", neighbours=39)
    d, n = inst.dist, inst.n
    for i in range(n - 1):
        for j in range(i + 2, n if i > 0 else n - 1):
            a, b, c, e = tour[i], tour[i + 1], tour[j], tour[(j + 1) % n]
            assert d[a, c] + d[b, e] >= d[a, b] + d[c, e] - 1e-9


@pytest.mark.parametrize("n", [2, 3, 4, 6, 8])
def test_held_karp_matches_brute_force(n):
    for seed in range(3):
        inst = tsp.generate("uniform", seed=seed, num_nodes=n)
        tour = tsp.solve(inst, "exact")
        assert tsp.objective(inst, tour) == pytest.approx(ref.tsp_brute_force(inst.dist))


def test_held_karp_refuses_large_instances():
    inst = tsp.generate("uniform", seed=0, num_nodes=16)
    with pytest.raises(InstanceTooLargeError, match="n <= 15"):
        tsp.solve(inst, "exact")


def test_unknown_baseline_suggests_names():
    with pytest.raises(UnknownNameError, match="did you mean '2opt'"):
        tsp.BASELINES.get("2-opt")


@pytest.mark.parametrize(("name", "max_n"), [("burma14", 15), ("ulysses16", 16), ("gr17", 17)])
def test_held_karp_reproduces_tsplib_optima(name, max_n):
    inst = benchmarks.load(name)
    tour = tsp.solve(inst, "exact", max_n=max_n)
    assert tsp.objective(inst, tour) == benchmarks.OPTIMA[name]


@pytest.mark.parametrize("name", ["pcb442", "gr666"])
def test_optimal_tour_files_reproduce_optima(name):
    inst = benchmarks.load(name)
    tour = tsp.read_tour(benchmarks.DATA_DIR / "tsp" / f"{name}.opt.tour")
    assert tsp.objective(inst, tour) == benchmarks.OPTIMA[name]


@pytest.mark.parametrize(
    ("name", "ls_gap"),
    [
        ("berlin52", 0.05),
        ("eil51", 0.03),
        ("att48", 0.04),
        ("st70", 0.08),
        ("eil76", 0.06),
        ("kroA100", 0.05),
        ("pr107", 0.02),
        ("ulysses22", 0.05),
    ],
)
def test_heuristics_on_tsplib(name, ls_gap):
    inst = benchmarks.load(name)
    opt = benchmarks.OPTIMA[name]
    ls = tsp.objective(inst, tsp.solve(inst, "ls"))
    assert opt <= ls <= opt * (1 + ls_gap)
    best = min(
        tsp.objective(inst, tsp.solve(inst, "ils", seed=s, iterations=3000)) for s in range(3)
    )
    assert best == opt  # the committed coordinates reproduce the published optimum


def test_all_benchmarks_load():
    for name in benchmarks.names():
        inst = benchmarks.load(name)
        assert inst.name == name


def test_tsplib_round_trip(tmp_path):
    for inst in (
        benchmarks.load("berlin52"),
        benchmarks.load("gr17"),
        benchmarks.load("burma14"),
        tsp.generate("uniform", seed=1, num_nodes=12),
    ):
        p = tsp.save_tsplib(tmp_path / f"{inst.name}.tsp", inst)
        back = tsp.load_tsplib(p)
        np.testing.assert_array_equal(back.dist, inst.dist)
        if inst.coords is not None:
            np.testing.assert_array_equal(back.coords, inst.coords)
        assert back.name == inst.name
    assert not [f for f in tmp_path.iterdir() if f.name.endswith(".tmp")]


def test_tour_round_trip(tmp_path):
    tour = np.random.default_rng(0).permutation(20)
    p = tsp.write_tour(tmp_path / "x.opt.tour", tour, name="x", comment="length 1")
    np.testing.assert_array_equal(tsp.read_tour(p), tour)


def test_explicit_formats_agree():
    full = benchmarks.load("gr17").dist
    n = full.shape[0]
    from aerena.graphs.common.io import explicit_matrix

    for fmt, idx in [
        ("UPPER_ROW", np.triu_indices(n, 1)),
        ("LOWER_ROW", np.tril_indices(n, -1)),
        ("UPPER_DIAG_ROW", np.triu_indices(n)),
        ("LOWER_DIAG_ROW", np.tril_indices(n)),
    ]:
        np.testing.assert_array_equal(explicit_matrix(full[idx], n, fmt), full)
    np.testing.assert_array_equal(explicit_matrix(full.reshape(-1), n, "FULL_MATRIX"), full)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "NAME: x\nTYPE: TSP\nDIMENSION: 2\nEDGE_WEIGHT_TYPE: EUC_2D\nNODE_COORD_SECTION\n"
            "1 0 0\n2 1 zz\nEOF\n",
            ":7: expected numbers",
        ),
        (
            "NAME: x\nTYPE: TSP\nDIMENSION: 3\nEDGE_WEIGHT_TYPE: EUC_2D\nNODE_COORD_SECTION\n"
            "1 0 0\n2 1 1\nEOF\n",
            ":5: NODE_COORD_SECTION has 2 nodes, DIMENSION 3",
        ),
        (
            "NAME: x\nTYPE: TSP\nDIMENSION: 2\nEDGE_WEIGHT_TYPE: XRAY1\nNODE_COORD_SECTION\n"
            "1 0 0\n2 1 1\nEOF\n",
            ":4: unsupported EDGE_WEIGHT_TYPE",
        ),
        (
            "NAME: x\nTYPE: TSP\nDIMENSION: 3\nEDGE_WEIGHT_TYPE: EXPLICIT\n"
            "EDGE_WEIGHT_FORMAT: UPPER_ROW\nEDGE_WEIGHT_SECTION\n1 2\nEOF\n",
            ":6: UPPER_ROW for DIMENSION 3 needs 3 weights, found 2",
        ),
        ("NAME x\n", ":1: expected 'KEY : VALUE'"),
    ],
)
def test_tsplib_errors_name_file_and_line(tmp_path, text, message):
    p = tmp_path / "bad.tsp"
    p.write_text(text)
    with pytest.raises(FormatError) as e:
        tsp.load_tsplib(p)
    assert str(p) in str(e.value) and message in str(e.value)


def test_parse_keeps_multiline_comments():
    f = parse_tsplib("x.tsp", "NAME: a\nCOMMENT: one\nCOMMENT: two\nEOF\n")
    assert f.spec["COMMENT"] == "one two"

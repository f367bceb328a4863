"""Shared pieces: registries, graphs and their generators, graph files, atomic writes."""

from __future__ import annotations

import numpy as np
import pytest

from aerena import graphs
from aerena.graphs.common import io
from aerena.graphs.common.graph import (
    Graph,
    barabasi_albert,
    erdos_renyi,
    max_edges_bound,
    watts_strogatz,
)
from aerena.graphs.common.registry import Registry, UnknownNameError


def test_registry_did_you_mean():
    r = Registry("thing")
    r.register("greedy", 1, aliases=("g",))
    assert r.get("g") == 1 and r.names() == ("greedy",)
    with pytest.raises(UnknownNameError, match="did you mean 'greedy'"):
        r.get("gready")
    with pytest.raises(ValueError, match="already registered"):
        r.register("greedy", 2)


def test_problem_registry_and_solve():
    assert graphs.PROBLEMS.names() == ("tsp", "cvrp", "mvc", "maxcut", "maxcover", "wta", "im")
    for name in graphs.PROBLEMS:
        mod = graphs.problem(name)
        assert len(mod.BASELINES) >= 2 and len(mod.GENERATORS) >= 1
    inst = graphs.problem("tsp").generate("uniform", seed=0, num_nodes=8)
    tour = graphs.solve("tsp", inst, "exact")
    assert sorted(tour.tolist()) == list(range(8))
    with pytest.raises(UnknownNameError, match="did you mean 'maxcut'"):
        graphs.problem("max_cut")


def test_graph_normalisation():
    g = Graph.from_edges(4, [[1, 0], [0, 1], [2, 2], [3, 2]], [5.0, 6.0, 1.0, 2.0])
    np.testing.assert_array_equal(g.edges, [[0, 1], [2, 3]])
    np.testing.assert_array_equal(g.weights, [5.0, 2.0])
    indptr, nbr, w = g.csr()
    np.testing.assert_array_equal(indptr, [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(nbr, [1, 0, 3, 2])
    assert g.edge_index().shape == (2, 4)
    np.testing.assert_array_equal(g.adjacency(), g.adjacency().T)
    with pytest.raises(ValueError):
        Graph(3, np.array([[1, 0]]), np.ones(1))


@pytest.mark.parametrize("n", [5, 30, 100])
def test_random_graph_properties(n):
    rng = np.random.default_rng(n)
    ba = barabasi_albert(rng, n, 3)
    assert ba.shape[0] == 3 * (n - 3) == max_edges_bound("ba", n, m=3)
    ws = watts_strogatz(rng, n, 4, 0.3)
    assert ws.shape[0] == n * 2 == max_edges_bound("ws", n, k=4)
    er = erdos_renyi(rng, n, 0.2)
    assert er.shape[0] <= max_edges_bound("er", n, p=0.2)
    for e in (ba, ws, er):
        g = Graph.from_edges(n, e)
        assert g.m == e.shape[0]  # no duplicates, no self-loops
        assert np.all(e[:, 0] != e[:, 1])
    assert Graph.from_edges(n, ba).degrees().min() >= 1


def test_er_density():
    e = erdos_renyi(np.random.default_rng(0), 200, 0.1)
    assert abs(e.shape[0] / (200 * 199 / 2) - 0.1) < 0.01


def test_networkx_round_trip():
    nx = pytest.importorskip("networkx")
    g = Graph.from_edges(6, barabasi_albert(np.random.default_rng(1), 6, 2))
    h = g.to_networkx()
    assert isinstance(h, nx.Graph) and h.number_of_edges() == g.m
    back = Graph.from_networkx(h)
    np.testing.assert_array_equal(back.edges, g.edges)


@pytest.mark.parametrize("fmt", ["edgelist", "dimacs", "rudy"])
def test_graph_file_round_trip(tmp_path, fmt):
    rng = np.random.default_rng(2)
    e = erdos_renyi(rng, 12, 0.3)
    g = Graph.from_edges(13, e, rng.integers(1, 9, size=e.shape[0]))  # node 12 isolated
    write = {
        "edgelist": io.write_edgelist,
        "rudy": io.write_rudy,
        "dimacs": lambda p, x: io.write_dimacs(p, x, weights=True, comment="test"),
    }[fmt]
    read = {"edgelist": io.read_edgelist, "dimacs": io.read_dimacs, "rudy": io.read_rudy}[fmt]
    back = read(write(tmp_path / f"g.{fmt}", g))
    assert back.n == 13
    np.testing.assert_array_equal(back.edges, g.edges)
    np.testing.assert_array_equal(back.weights, g.weights)
    assert [p.name for p in tmp_path.iterdir()] == [f"g.{fmt}"]  # no temp file left


def test_graph_file_errors(tmp_path):
    p = tmp_path / "g.dimacs"
    p.write_text("c hi\np edge 3 1\ne 1 4\n")
    with pytest.raises(io.FormatError, match=r"g\.dimacs:3: node out of range"):
        io.read_dimacs(p)
    q = tmp_path / "g.txt"
    q.write_text("0 1\n1 x\n")
    with pytest.raises(io.FormatError, match=r"g\.txt:2:"):
        io.read_edgelist(q)


def test_atomic_write_keeps_old_file_on_error(tmp_path, monkeypatch):
    p = tmp_path / "f.txt"
    io.atomic_write_text(p, "old")

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(io.os, "replace", boom)
    with pytest.raises(OSError):
        io.atomic_write_text(p, "new")
    assert p.read_text() == "old"
    assert [x.name for x in tmp_path.iterdir()] == ["f.txt"]

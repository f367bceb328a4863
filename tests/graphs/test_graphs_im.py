"""Influence maximisation: the spread estimators against an exact enumeration of the
live-edge graphs and a slow reference on the same worlds, CELF against the plain greedy,
RR-set greedy against a NumPy max coverage, generators, determinism and bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

from aerena.cli import main
from aerena.graphs import im
from aerena.graphs.common.registry import InvalidSolutionError
from aerena.graphs.im import baselines as B
from aerena.graphs.im import kernels as K
from aerena.graphs.im.instance import IMInstance
from aerena.graphs.im.objective import SOLVER_STREAM, rr_sets, rr_spread, spread, stream_key

try:
    from tests.graphs import graphs_ref as ref
except ImportError:  # pragma: no cover
    import graphs_ref as ref


def _tiny(seed: int) -> IMInstance:
    """A random directed graph on 5 nodes with at most 10 arcs, probabilities in (0, 1]."""
    rng = np.random.default_rng(seed)
    pairs = [(u, v) for u in range(5) for v in range(5) if u != v]
    pick = rng.choice(len(pairs), size=int(rng.integers(4, 11)), replace=False)
    arcs = np.asarray([pairs[i] for i in pick])
    prob = rng.uniform(0.05, 1.0, size=arcs.shape[0])
    return IMInstance.from_arcs(5, arcs, prob, budget=2)


@pytest.mark.parametrize("seed", range(4))
def test_estimators_match_the_exact_spread(seed):
    inst = _tiny(seed)
    for seeds in ([0], [1, 3], [2, 4]):
        exact = ref.im_exact_spread(inst.n, inst.arcs, inst.prob, seeds)
        # per-world counts lie in [1, 5]: the standard error is <= 2 / sqrt(sims)
        mc = spread(inst, np.asarray(seeds), sims=40_000, seed=seed)
        assert mc == pytest.approx(exact, abs=5 * 2 / np.sqrt(40_000))
        mask = np.zeros(inst.n, dtype=bool)
        mask[seeds] = True
        rr = rr_sets(inst, 40_000, seed=seed)
        assert rr_spread(inst, rr, mask) == pytest.approx(exact, abs=5 * 2.5 / np.sqrt(40_000))


def test_monte_carlo_reads_the_documented_worlds():
    inst = _tiny(7)
    key = stream_key(3, SOLVER_STREAM)
    for seeds in ([0], [1, 2], [0, 3, 4]):
        want = ref.im_world_spread(inst.n, inst.arcs, inst.prob, seeds, 60, int(key))
        got = K.mc_total(inst.out_ptr, inst.heads, inst.prob, np.asarray(seeds), 60, key) / 60
        assert got == want


def test_single_node_and_certain_arcs():
    inst = IMInstance.from_arcs(4, [(0, 1), (1, 2), (2, 3)], 1.0, budget=1)
    assert spread(inst, np.array([0]), sims=10) == 4.0
    assert spread(inst, np.array([3]), sims=10) == 1.0
    mask = np.array([1, 0, 0, 0])
    assert im.objective(inst, mask) == 4.0


@pytest.mark.parametrize(
    ("gen", "kw"),
    [("wc", {"graph": "ba", "m": 2}), ("constant", {"graph": "er", "p": 0.1, "prob": 0.2}),
     ("trivalency", {"graph": "ws", "k": 4})],
)  # fmt: skip
def test_celf_equals_plain_greedy(gen, kw):
    for s in range(3):
        inst = im.generate(gen, seed=s, num_nodes=40, budget=6, **kw)
        lazy = B.mc_greedy_seeds(inst, seed=s, sims=150, lazy=True)
        plain = B.mc_greedy_seeds(inst, seed=s, sims=150, lazy=False)
        np.testing.assert_array_equal(lazy[0], plain[0])
        np.testing.assert_array_equal(lazy[1], plain[1])
        # the gains add up to the spread of the set on the same worlds
        total = spread(inst, lazy[0], sims=150, seed=s, stream=SOLVER_STREAM)
        assert lazy[1].sum() == pytest.approx(total)
        # the first seed is the best single node
        singles = [spread(inst, np.array([v]), 150, s, SOLVER_STREAM) for v in range(inst.n)]
        assert lazy[0][0] == int(np.argmax(singles))


def test_rr_greedy_is_max_coverage():
    inst = im.generate("constant", seed=2, num_nodes=30, budget=4, prob=0.15)
    ptr, nodes = rr_sets(inst, 300, seed=1)
    sets = [set(nodes[ptr[j] : ptr[j + 1]].tolist()) for j in range(300)]
    order, covered = B.rr_greedy_seeds(inst, (ptr, nodes))
    assert order.tolist() == ref.max_coverage_greedy(sets, inst.n, 4)
    assert covered == sum(1 for s in sets if s & set(order.tolist()))
    # candidates first, then the rest
    cand = np.zeros(inst.n, dtype=bool)
    cand[[5, 7]] = True
    order2, _ = B.rr_greedy_seeds(inst, (ptr, nodes), cand)
    assert set(order2[:2].tolist()) == {5, 7} and len(set(order2.tolist())) == 4


def test_rr_sets_hold_their_root_and_only_reverse_reachable_nodes():
    inst = IMInstance.from_arcs(4, [(0, 1), (1, 2)], 1.0, budget=1)  # node 3 isolated
    ptr, nodes = rr_sets(inst, 200, seed=0)
    for j in range(200):
        s = nodes[ptr[j] : ptr[j + 1]].tolist()
        root = s[0]
        assert sorted(s) == list(range(root + 1)) if root < 3 else s == [3]


def test_degree_discount_reference():
    inst = im.generate("constant", seed=4, num_nodes=25, budget=5, prob=0.1, graph="er", p=0.2)
    d = inst.out_degrees().astype(float)
    adj = [set(inst.heads[inst.out_ptr[v] : inst.out_ptr[v + 1]].tolist()) for v in range(25)]
    t = np.zeros(25)
    dd = d.copy()
    chosen: list[int] = []
    for _ in range(5):
        v = max((u for u in range(25) if u not in chosen), key=lambda u: (dd[u], -u))
        chosen.append(v)
        for u in adj[v] - set(chosen):
            t[u] += 1
            dd[u] = d[u] - 2 * t[u] - (d[u] - t[u]) * t[u] * 0.1
    got = np.flatnonzero(im.solve(inst, "degreediscount"))
    assert sorted(chosen) == got.tolist()


def test_every_baseline_valid_deterministic_and_close_to_celf():
    inst = im.generate("wc", seed=3, num_nodes=120, budget=8)
    best = im.objective(inst, im.solve(inst, "celf", seed=0))
    for name in im.BASELINES:
        a = im.solve(inst, name, seed=5)
        np.testing.assert_array_equal(a, im.solve(inst, name, seed=5))
        assert a.dtype == bool and a.sum() == inst.budget
        assert im.objective(inst, a) >= (0.97 if name in ("imm", "greedy") else 0.8) * best


def test_generators():
    inst = im.generate("wc", seed=1, num_nodes=60, budget=3)
    indeg = inst.in_degrees()
    np.testing.assert_allclose(inst.prob, 1.0 / indeg[inst.heads])
    # both directions of every edge
    fwd = {tuple(a) for a in inst.arcs.tolist()}
    assert all((v, u) in fwd for u, v in fwd)
    tv = im.generate("trivalency", seed=1, num_nodes=60)
    assert set(np.unique(tv.prob).tolist()) <= {0.1, 0.01, 0.001}
    c = im.generate("constant", seed=1, num_nodes=60, prob=0.3)
    assert np.all(c.prob == 0.3)
    a, b = im.generate("wc", seed=9), im.generate("wc", seed=9)
    np.testing.assert_array_equal(a.arcs, b.arcs)
    np.testing.assert_array_equal(a.prob, b.prob)


def test_bad_input():
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        IMInstance.from_arcs(3, [(0, 1)], 0.0, budget=1)
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        IMInstance.from_arcs(3, [(0, 1)], 1.5, budget=1)
    with pytest.raises(ValueError, match="budget"):
        IMInstance.from_arcs(3, [(0, 1)], 0.5, budget=4)
    with pytest.raises(ValueError, match="budget"):
        IMInstance.from_arcs(3, [(0, 1)], 0.5, budget=0)
    with pytest.raises(ValueError, match="out of range"):
        IMInstance.from_arcs(3, [(0, 3)], 0.5, budget=1)
    with pytest.raises(ValueError, match="self-loops"):
        IMInstance(3, np.array([[1, 1]]), np.array([0.5]), 1)
    with pytest.raises(ValueError, match="sorted"):
        IMInstance(3, np.array([[1, 2], [0, 1]]), np.array([0.5, 0.5]), 1)
    with pytest.raises(ValueError, match="prob"):
        im.generate("constant", seed=0, prob=0.0)
    inst = IMInstance.from_arcs(3, [(0, 1), (1, 2)], 0.5, budget=1)
    with pytest.raises(InvalidSolutionError, match="budget"):
        im.objective(inst, np.array([1, 1, 0]))
    with pytest.raises(InvalidSolutionError, match="0 and 1"):
        im.objective(inst, np.array([2, 0, 0]))
    with pytest.raises(InvalidSolutionError, match="mask"):
        im.objective(inst, np.array([1, 0]))
    with pytest.raises(ValueError, match="sims"):
        spread(inst, np.array([0]), sims=0)
    with pytest.raises(ValueError, match="eps"):
        im.solve(inst, "imm", eps=1.5)


def test_cli_generate_file_and_bad_input(tmp_path, capsys):
    assert main(["solve", "im", "--generate", "n=80,seed=1,budget=4", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["problem"] == "im" and d["method"] == "imm" and sum(d["solution"]) == 4
    from aerena.graphs.cli import instance_to_json

    inst = im.generate("wc", seed=2, num_nodes=30, budget=3)
    path = tmp_path / "g.json"
    path.write_text(json.dumps(instance_to_json("im", inst)))
    assert main(["solve", "im", str(path), "--method", "degree", "--json"]) == 0
    d2 = json.loads(capsys.readouterr().out)
    want = im.objective(inst, im.solve(inst, "degree"))
    assert d2["objective"] == pytest.approx(want)
    for argv in (["--generate", "n=10,budget=11"], ["--generate", "n=10,kind=constant,prob=2"]):
        assert main(["solve", "im", *argv]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and "Traceback" not in err

"""``aerena.graphs.tsp.baselines.polish``: local search + bounded ILS from a given tour,
checked against a slow NumPy tour length (permutation, never longer, seeded, bad input)."""

from __future__ import annotations

import numpy as np
import pytest

from aerena.graphs import tsp
from aerena.graphs.tsp.baselines import polish


def _length(dist: np.ndarray, tour: np.ndarray) -> float:
    """Slow reference: the closed tour's length, edge by edge."""
    return float(sum(dist[tour[k], tour[(k + 1) % len(tour)]] for k in range(len(tour))))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_polish_never_longer_and_a_permutation(seed):
    inst = tsp.generate("uniform", seed=seed, num_nodes=60)
    start = np.random.default_rng(seed).permutation(inst.n)
    ls = polish(inst, start)
    ils = polish(inst, start, seed=seed, iterations=300)
    for tour in (ls, ils):
        assert sorted(tour.tolist()) == list(range(inst.n)) and tour[0] == 0
    assert _length(inst.dist, ls) <= _length(inst.dist, start) + 1e-9
    assert _length(inst.dist, ils) <= _length(inst.dist, ls) + 1e-9
    assert _length(inst.dist, ils) == pytest.approx(tsp.tour_length(inst.dist, ils))
    # a 2-opt local optimum: no improving reversal (full check in NumPy)
    d, t, n = inst.dist, ls, inst.n
    for i in range(n - 1):
        for j in range(i + 2, n if i else n - 1):
            a, b, c, e = t[i], t[i + 1], t[j], t[(j + 1) % n]
            delta = d[a, c] + d[b, e] - d[a, b] - d[c, e]
            moved = np.concatenate([t[: i + 1], t[i + 1 : j + 1][::-1], t[j + 1 :]])
            assert delta == pytest.approx(_length(d, moved) - _length(d, t), abs=1e-9)
            if delta < -1e-6:  # neighbour lists may miss a long-edge move: not by much
                assert delta > -0.05 * _length(d, t)


def test_polish_seeded_and_bounded_by_time():
    inst = tsp.generate("uniform", seed=5, num_nodes=80)
    start = np.arange(inst.n)
    a = polish(inst, start, seed=3, iterations=200)
    b = polish(inst, start, seed=3, iterations=200)
    assert np.array_equal(a, b)
    timed = polish(inst, start, seed=3, seconds=0.05)
    assert sorted(timed.tolist()) == list(range(inst.n))
    assert _length(inst.dist, timed) <= _length(inst.dist, polish(inst, start)) + 1e-9


def test_polish_refuses_a_non_permutation():
    inst = tsp.generate("uniform", seed=0, num_nodes=10)
    with pytest.raises(ValueError, match="permutation"):
        polish(inst, np.zeros(10, dtype=np.int64))

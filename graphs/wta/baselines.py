"""WTA baselines, chosen by name from :data:`BASELINES`.

===============  =========================================================================
name             method
===============  =========================================================================
``mmr``          maximum marginal return: repeatedly give the (weapon, target) pair of
                 largest expected value destroyed, ``surv_j * p_ij``
``localsearch``  ``mmr``, then reassign one weapon or swap two weapons' targets while it
                 lowers the objective (best move per weapon)
``bruteforce``   all n^m assignments (at most 2e6)
``cpsat``        OR-Tools CP-SAT on the log-linearised model (optional dependency), see
                 :func:`cp_sat`
``exact``        ``bruteforce`` when n^m <= 2e6, else ``cpsat``
===============  =========================================================================

Each takes ``(instance, *, seed=None, **options)`` and returns an int64 target per weapon.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from aerena.graphs.common import cpsat
from aerena.graphs.common.registry import InstanceTooLargeError, Registry
from aerena.graphs.wta.instance import WTAInstance
from aerena.graphs.wta.objective import surviving_value, target_survival
from aerena.jit import njit

BASELINES: Registry = Registry("WTA baseline")

BRUTE_MAX_EVALS = 2_000_000
EPS = 1e-12


@njit
def mmr(p: np.ndarray, v: np.ndarray) -> np.ndarray:
    m, n = p.shape
    surv = v.copy()
    assign = np.full(m, -1, dtype=np.int64)
    for _ in range(m):
        bi = -1
        bj = -1
        bg = -1.0
        for i in range(m):
            if assign[i] >= 0:
                continue
            for j in range(n):
                g = surv[j] * p[i, j]
                if g > bg:
                    bg = g
                    bi = i
                    bj = j
        assign[bi] = bj
        surv[bj] *= 1.0 - p[bi, bj]
    return assign


@njit
def _without(p, v, assign, j, skip) -> float:
    """Surviving value of target j without weapon `skip` (recomputed, no division)."""
    s = v[j]
    for i in range(assign.shape[0]):
        if i != skip and assign[i] == j:
            s *= 1.0 - p[i, j]
    return s


@njit
def local_search(p: np.ndarray, v: np.ndarray, assign: np.ndarray) -> None:
    m, n = p.shape
    surv = target_survival(p, v, assign)
    while True:
        moved = False
        for i in range(m):  # reassignment moves
            j0 = assign[i]
            base = _without(p, v, assign, j0, i)
            best = -EPS * (1.0 + v.sum())
            bk = -1
            for k in range(n):
                if k == j0:
                    continue
                delta = (base - surv[j0]) - surv[k] * p[i, k]
                if delta < best:
                    best = delta
                    bk = k
            if bk >= 0:
                assign[i] = bk
                surv[j0] = base
                surv[bk] = _without(p, v, assign, bk, -1)
                moved = True
        for i1 in range(m):  # swap moves
            for i2 in range(i1 + 1, m):
                j1 = assign[i1]
                j2 = assign[i2]
                if j1 == j2:
                    continue
                n1 = _without(p, v, assign, j1, i1) * (1.0 - p[i2, j1])
                n2 = _without(p, v, assign, j2, i2) * (1.0 - p[i1, j2])
                if n1 + n2 - surv[j1] - surv[j2] < -EPS * (1.0 + v.sum()):
                    assign[i1] = j2
                    assign[i2] = j1
                    surv[j1] = _without(p, v, assign, j1, -1)
                    surv[j2] = _without(p, v, assign, j2, -1)
                    moved = True
        if not moved:
            break


@njit
def brute_force(p: np.ndarray, v: np.ndarray) -> np.ndarray:
    m, n = p.shape
    assign = np.zeros(m, dtype=np.int64)
    best = assign.copy()
    best_v = surviving_value(p, v, assign)
    while True:
        k = 0  # odometer increment
        while k < m:
            assign[k] += 1
            if assign[k] < n:
                break
            assign[k] = 0
            k += 1
        if k == m:
            break
        val = surviving_value(p, v, assign)
        if val < best_v - 1e-12:
            best_v = val
            best[:] = assign
    return best


@BASELINES.register("mmr", aliases=("greedy",))
def max_marginal_return(instance: WTAInstance, *, seed: Any = None) -> np.ndarray:
    return mmr(instance.kill_prob, instance.values)


@BASELINES.register("localsearch", aliases=("ls",))
def reassignment_search(instance: WTAInstance, *, seed: Any = None) -> np.ndarray:
    a = mmr(instance.kill_prob, instance.values)
    local_search(instance.kill_prob, instance.values, a)
    return a


@BASELINES.register("bruteforce")
def bruteforce(
    instance: WTAInstance, *, seed: Any = None, max_evals: int = BRUTE_MAX_EVALS
) -> np.ndarray:
    if float(instance.n) ** instance.m > max_evals:
        raise InstanceTooLargeError(
            f"brute force WTA is limited to n^m <= {max_evals:g} assignments "
            f"({instance.n}^{instance.m} here)"
        )
    return brute_force(instance.kill_prob, instance.values)


@BASELINES.register("cpsat")
def cp_sat(
    instance: WTAInstance,
    *,
    seed: Any = None,
    time_limit: float = 30.0,
    resolution: float = 1e4,
    max_table: int = 4_000,
) -> np.ndarray:
    """CP-SAT on the log-linearised model (needs `ortools`).

    With ``q_ij = -log(1 - p_ij)`` target j survives with value ``v_j exp(-e_j)``,
    ``e_j = sum_i q_ij x_ij`` linear in the assignment. The exponents are rounded to
    ``c_ij = round(q_ij * resolution)`` and ``y_j = v_j exp(-e_j / resolution)`` is a table
    constraint over the subset sums e_j can reach. The answer is optimal for the rounded
    coefficients (relative error at most ``m / (2 * resolution)`` on the objective); its
    true objective comes from :func:`objective`. Starts from the ``localsearch`` answer
    (a hint), and returns its best with a warning when `time_limit` ends the search: proofs
    come in seconds up to about 8 weapons (the tables grow as 2^m); above `max_table` rows in
    total it refuses.
    """
    cpm = cpsat.cp_model()
    p = np.clip(instance.kill_prob, 0.0, 1.0 - 1e-12)
    c = np.round(-np.log1p(-p) * resolution).astype(np.int64)
    m, n = p.shape
    v_scale = 1e7 / float(max(instance.values.max(), 1e-12))
    reach = []
    for j in range(n):
        sums = np.zeros(1, dtype=np.int64)
        for i in range(m):
            sums = np.unique(np.concatenate([sums, sums + c[i, j]]))
        reach.append(sums)
    rows = sum(r.shape[0] for r in reach)
    if rows > max_table:
        raise InstanceTooLargeError(
            f"the CP-SAT WTA model would need {rows} table rows (> max_table={max_table}); "
            "use 'localsearch'"
        )
    model = cpm.CpModel()
    x = [[model.NewBoolVar(f"x{i}_{j}") for j in range(n)] for i in range(m)]
    hint = reassignment_search(instance)
    for i in range(m):
        model.AddExactlyOne(x[i])
        for j in range(n):
            model.AddHint(x[i][j], bool(hint[i] == j))
    cost_terms = []
    for j in range(n):
        sums = reach[j]
        e = model.NewIntVarFromDomain(cpm.Domain.FromValues(sums.tolist()), f"e{j}")
        model.Add(e == sum(int(c[i, j]) * x[i][j] for i in range(m)))
        table = np.round(instance.values[j] * v_scale * np.exp(-sums / resolution)).astype(np.int64)
        y = model.NewIntVar(0, int(table.max()), f"y{j}")
        model.AddAllowedAssignments([e, y], list(zip(sums.tolist(), table.tolist(), strict=True)))
        cost_terms.append(y)
    model.Minimize(sum(cost_terms))
    solver = cpsat.solve(model, time_limit=time_limit, seed=int(seed or 0))
    return np.asarray(
        [next(j for j in range(n) if solver.Value(x[i][j])) for i in range(m)], dtype=np.int64
    )


@BASELINES.register("exact")
def exact(instance: WTAInstance, *, seed: Any = None, time_limit: float = 30.0) -> np.ndarray:
    if float(instance.n) ** instance.m <= BRUTE_MAX_EVALS:
        return bruteforce(instance)
    if not cpsat.have_ortools():
        raise InstanceTooLargeError(
            f"exact WTA above n^m = {BRUTE_MAX_EVALS:g} needs OR-Tools: pip install ortools"
        )
    return cp_sat(instance, seed=seed, time_limit=time_limit)


def solve(instance: WTAInstance, name: str = "localsearch", **options: Any) -> np.ndarray:
    return BASELINES.get(name)(instance, **options)

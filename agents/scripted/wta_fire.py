"""Weapon-target assignment fire control for the scripted defender (``fire_control="wta"``).

Each step and world, the defender's engagement choice is posed as a static WTA
(:mod:`aerena.graphs.wta`) and solved with maximum marginal return followed by the
reassignment/swap local search (``mmr`` + ``localsearch``):

* **Weapons** are the launchers that can fire now: alive, with at least one observed track
  their action mask lets them engage.
* **Targets** are the engageable tracks that the greedy fire control would also accept:
  not already engaged this step, no interceptor of ours in flight to them (shoot-look-
  shoot; with ``salvo_time`` a track due that soon may take a second one), and under stock
  conservation (``stock < conserve_ratio * free tracks``) only tracks due within
  ``hold_time``.
* **Kill probability** ``p_ij`` is launcher i's ``pk`` (``gnd_par[..., GP_PK]``) reduced
  linearly with range, ``pk * (1 - range_penalty * d / range_max)`` (a longer flight gives
  the track more time to leave the envelope), and 0 where the mask forbids the pair.
* **Target values** are the threat scores the scripted defender already computes
  (``value / (time to unit + t0)``).

Shoot-look-shoot allows one new interceptor per track per step, so the WTA solution is
made one-to-one: a target given several weapons keeps the one with the largest
``p_ij`` and the others are re-assigned among the remaining targets by solving the WTA
again, until no weapon with a positive ``p_ij`` is left. A weapon assigned with
``p_ij = 0`` holds. Radar emission control is unchanged (the greedy pass computes it).
"""

from __future__ import annotations

import numpy as np

from aerena.envs.airdefense import layout as Lo
from aerena.graphs.wta.baselines import local_search, mmr
from aerena.jit import njit

#: Kill probability falls by this share at the launcher's maximum range.
RANGE_PENALTY = 0.25


@njit
def solve_one_to_one(p: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Target per weapon (-1 = hold) such that no target gets two weapons: repeated
    ``mmr`` + local search, keeping the best weapon of each shared target per round."""
    m, n = p.shape
    out = np.full(m, -1, dtype=np.int64)
    w_left = np.ones(m, np.bool_)
    t_left = np.ones(n, np.bool_)
    while True:
        wi = np.flatnonzero(w_left)
        tj = np.flatnonzero(t_left)
        if wi.shape[0] == 0 or tj.shape[0] == 0:
            break
        sub_p = np.empty((wi.shape[0], tj.shape[0]))
        for a in range(wi.shape[0]):
            for c in range(tj.shape[0]):
                sub_p[a, c] = p[wi[a], tj[c]]
        sub_v = np.empty(tj.shape[0])
        for c in range(tj.shape[0]):
            sub_v[c] = v[tj[c]]
        assign = mmr(sub_p, sub_v)
        local_search(sub_p, sub_v, assign)
        best_w = np.full(tj.shape[0], -1, dtype=np.int64)
        for a in range(wi.shape[0]):
            c = assign[a]
            if sub_p[a, c] <= 0.0:
                continue
            if best_w[c] < 0 or sub_p[a, c] > sub_p[best_w[c], c]:
                best_w[c] = a
        progress = False
        for c in range(tj.shape[0]):
            a = best_w[c]
            if a >= 0:
                out[wi[a]] = tj[c]
                w_left[wi[a]] = False
                t_left[tj[c]] = False
                progress = True
        if not progress:
            break
    return out


@njit
def wta_engage(
    obs_ent,
    obs_mask,
    obs_ref,
    act_mask,
    agent_alive,
    gnd_hp,
    gnd_par,
    launcher_g,
    stock,
    int_status,
    int_target,
    int_used,
    U,
    range_scale,
    score,
    tti,
    conserve_ratio,
    hold_time,
    salvo_time,
    range_penalty,
    out,
):
    """Overwrite the launcher columns ``out[b, :L]`` with WTA engagements for every world.

    `score`, `tti` ``[B, A]``: the scripted defender's threat score (-1 for entities not
    seen this step) and time to reach a unit per air entity (written by
    :func:`aerena.agents.scripted.defender.defend`)."""
    B = obs_ent.shape[0]
    Lc = launcher_g.shape[0]
    K = obs_ent.shape[2]
    A = score.shape[1]
    busy = np.zeros(A, np.int64)
    tgt_of = np.full(A, -1, dtype=np.int64)
    for b in range(B):
        busy[:] = 0
        tgt_of[:] = -1
        for i in range(int_used[b]):
            if int_status[b, i] == Lo.INT_FLYING:
                busy[int_target[b, i]] += 1
        total = 0
        for l in range(Lc):
            out[b, l] = Lo.LAUNCHER_HOLD
            if gnd_hp[b, launcher_g[l]] > 0.0:
                total += stock[b, l]
        free_tracks = 0
        for a in range(A):
            if score[b, a] >= 0.0 and busy[a] == 0:  # score < 0: not seen this step
                free_tracks += 1
        conserve = total < conserve_ratio * free_tracks
        # targets: engageable tracks that pass shoot-look-shoot and conservation
        n_t = 0
        targets = np.empty(A, np.int64)
        for l in range(Lc):
            n = U + l
            if not agent_alive[b, n]:
                continue
            for k in range(K):
                if not obs_mask[b, n, k] or not act_mask[b, n, 1 + k]:
                    continue
                a = obs_ref[b, n, k]
                if tgt_of[a] >= 0:
                    continue
                if busy[a] > 1 or (busy[a] == 1 and tti[b, a] > salvo_time):
                    continue
                if conserve and tti[b, a] > hold_time:
                    continue
                tgt_of[a] = n_t
                targets[n_t] = a
                n_t += 1
        if n_t == 0:
            continue
        p = np.zeros((Lc, n_t))
        slot = np.full((Lc, n_t), -1, dtype=np.int64)
        v = np.empty(n_t)
        for c in range(n_t):
            a = targets[c]
            v[c] = score[b, a] * (0.5 if busy[a] > 0 else 1.0)
        for l in range(Lc):
            n = U + l
            if not agent_alive[b, n]:
                continue
            g = launcher_g[l]
            pk = gnd_par[b, g, Lo.GP_PK]
            rmax = gnd_par[b, g, Lo.GP_RANGE_MAX]
            for k in range(K):
                if not obs_mask[b, n, k] or not act_mask[b, n, 1 + k]:
                    continue
                c = tgt_of[obs_ref[b, n, k]]
                if c < 0:
                    continue
                d = obs_ent[b, n, k, 3] * range_scale
                frac = d / rmax if rmax > 0.0 else 0.0
                if frac > 1.0:
                    frac = 1.0
                q = pk * (1.0 - range_penalty * frac)
                if q > p[l, c]:
                    p[l, c] = q
                    slot[l, c] = k
        # pad zero-value targets' values so mmr sees a positive gain where p > 0
        for c in range(n_t):
            if v[c] <= 0.0:
                v[c] = 1e-9
        assign = solve_one_to_one(p, v)
        for l in range(Lc):
            c = assign[l]
            if c >= 0 and slot[l, c] >= 0:
                out[b, l] = 1 + slot[l, c]

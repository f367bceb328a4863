"""Where a world-step's time goes: each phase of `kernels.step_block` timed on its own.

    .venv/bin/python benchmarks/step_profile.py                  # strike_small, B = 1024
    .venv/bin/python benchmarks/step_profile.py --worlds 256 --steps 100
    .venv/bin/python benchmarks/env_throughput.py --rows p       # the same, as a row

`World(scenario, B)` is spread over its episodes (`env_throughput.stagger`), snapshotted, and
played `steps` steps twice from the snapshot with the same actions (the raid pool of
env_throughput, launchers engaging their first engageable slot): once phase by phase, each
phase one kernel call over all B worlds timed with `perf_counter`, once with the whole step
(`World.step(..., checked=True)`: `kernels.step_packed`, blocks of 64 worlds, one call). Both
runs do the same work on the same states, so "dispatch and blocking" = whole step - phase
sum: the call into the kernel, the 64-world blocking (cache effects, either sign).

The cost of a call itself is shown beside it ("call, no world active"): one world of the
scenario (B = 1; at large B the empty loops over the inactive worlds dominate), stepped
with it inactive, through the packed entry World uses (the state's buffers,
`state.unpack`) and through `kernels.step_world(static, state, ...)`, whose ~70 NamedTuple
arrays Numba unboxes one by one. Microseconds per call, best of 5 x 2000.

The profile is taken twice: every agent observed (the default), and with the UAV agents'
observations switched off (`World.observe`), as the default defender training and any
evaluation against the scripted attacker run (nobody reads them). Units: microseconds per
world-step (one world advanced one step) and the share of the phase sum. Physical limits
are stated per unit of work where the work can be counted: observe_uavs per live UAV
(3 terrain rays and the top-k of known objects and friends each), radar_phase per
(radar, live air entity) pair. Finished worlds auto-reset outside the timing.
"""

from __future__ import annotations

import os

for _var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

# the phases of kernels.step_block, in order, with the extra argument each takes
PHASES = (
    ("begin_phase", "before"),
    ("action_phase", "actions"),
    ("clock_phase", ""),
    ("flight_phase", ""),
    ("launch_phase", ""),
    ("interceptor_phase", ""),
    ("strike_phase", ""),
    ("grid_phase", ""),
    ("point_defence_phase", ""),
    ("grid_phase", ""),
    ("radar_phase", ""),
    ("attacker_sensing_phase", ""),
    ("connectivity_phase", ""),
    ("reward_phase", "before"),
    ("termination_phase", ""),
    ("observe_uavs", ""),
    ("observe_launchers", ""),
    ("observe_radars", ""),
)


def _play(w: Any, snap: Any, pool: np.ndarray, lc: np.ndarray, steps: int, split: bool) -> dict:
    """Play `steps` steps from `snap`; per-phase seconds (split) or the whole step's."""
    import env_throughput as et

    from aerena.envs.airdefense import kernels as K
    from aerena.envs.airdefense import layout as Lo

    w.restore(snap)
    st, s, B = w.static, w.state, w.num_worlds
    fns = [getattr(K, name) for name, _ in PHASES]
    secs = np.zeros(len(PHASES))
    whole = 0.0
    before = np.zeros((B, 4))
    world_steps = 0
    live_uavs = 0
    pairs = 0
    uav = w.agent_role == Lo.AGENT_UAV
    R = len(st.radar_g)
    act = np.empty_like(pool[0])
    for it in range(steps):
        act[:] = pool[it % len(pool)]
        et.engage_first(s.act_mask, lc, st.k, act)
        active = ~w.done
        world_steps += int(active.sum())
        live_uavs += int(s.agent_alive[active][:, uav].sum())
        pairs += R * int((s.air_status[active] == Lo.ACTIVE).sum())
        if split:
            for i, (fn, (_, extra)) in enumerate(zip(fns, PHASES, strict=True)):
                t0 = time.perf_counter()
                if extra == "before":
                    fn(st, s, before, active)
                elif extra == "actions":
                    fn(st, s, act, active)
                else:
                    fn(st, s, active)
                secs[i] += time.perf_counter() - t0
        else:
            t0 = time.perf_counter()
            w.step(act, active, checked=True)
            whole += time.perf_counter() - t0
        done = w.done
        if done.any():
            idx = np.flatnonzero(done)
            w.reset([10**6 + it * B + j for j in range(len(idx))], worlds=idx)
    return {
        "secs": secs,
        "whole": whole,
        "world_steps": world_steps,
        "live_uavs": live_uavs,
        "pairs": pairs,
    }


def call_us(scenario: str) -> dict[str, float]:
    """Microseconds per step call, B = 1, no world active: packed entry vs NamedTuples."""
    from aerena.envs.airdefense import kernels as K
    from aerena.envs.airdefense.world import World

    w = World(scenario, 1)
    w.reset([0])
    act = np.zeros((w.num_worlds, w.sizes["N"]), np.int64)
    off = np.zeros(w.num_worlds, np.bool_)
    calls = {
        "packed": lambda: K.step_packed(*w.kernel_args, act, off),
        "namedtuples": lambda: K.step_world(w.static, w.state, act, off),
    }
    out = {}
    for name, call in calls.items():
        call()
        best = float("inf")
        for _ in range(5):
            t0 = time.perf_counter()
            for _ in range(2000):
                call()
            best = min(best, (time.perf_counter() - t0) / 2000)
        out[name] = 1e6 * best
    return out


def profile(scenario: str = "strike_small", worlds: int = 1024, steps: int = 100,
            seed: int = 0, uavs_observed: bool = True) -> dict[str, Any]:  # fmt: skip
    """One profile (see the module docstring) as a JSON-able dict."""
    import env_throughput as et

    from aerena.envs.airdefense import layout as Lo
    from aerena.envs.airdefense.world import World

    w = World(scenario, worlds)
    w.observe[:, w.agent_role == Lo.AGENT_UAV] = uavs_observed
    w.reset(range(worlds))
    et.stagger(w, seed)
    pool = et.raid_pool(w, np.random.default_rng(seed))
    lc = et._launcher_cols(w)
    snap = w.snapshot()
    _play(w, snap, pool, lc, 2, True)  # warm-up: JIT cache load
    _play(w, snap, pool, lc, 2, False)
    split = _play(w, snap, pool, lc, steps, True)
    full = _play(w, snap, pool, lc, steps, False)
    n = max(split["world_steps"], 1)
    us = 1e6 * split["secs"] / n
    total = float(us.sum())
    whole = 1e6 * full["whole"] / max(full["world_steps"], 1)
    phases = [
        {"phase": name, "us": float(u), "share": float(u / total) if total else 0.0}
        for (name, _), u in zip(PHASES, us, strict=True)
    ]
    by = {p["phase"]: 0.0 for p in phases}
    for p in phases:
        by[p["phase"]] += p["us"]
    limits = {}
    if split["live_uavs"]:
        limits["observe_uavs_ns_per_live_uav"] = 1e3 * by["observe_uavs"] * n / split["live_uavs"]
    if split["pairs"]:
        limits["radar_phase_ns_per_radar_air_pair"] = 1e3 * by["radar_phase"] * n / split["pairs"]
    N = w.sizes["N"]
    return {
        "scenario": scenario,
        "num_worlds": worlds,
        "steps": steps,
        "uavs_observed": uavs_observed,
        "world_steps": n,
        "phases": phases,
        "phase_sum_us": total,
        "whole_step_us": whole,
        "dispatch_us": whole - total,
        "call_us": call_us(scenario),
        "agent_steps_per_s": 1e6 * N / whole if whole > 0 else None,
        "live_uavs_per_world_step": split["live_uavs"] / n,
        "limits": limits,
    }


def render(profiles: Sequence[dict[str, Any]]) -> None:
    """Phases side by side: us per world-step and share, one column pair per profile."""
    if not profiles:
        return
    p0 = profiles[0]
    print(f"\n(p) step profile: {p0['scenario']}, B = {p0['num_worlds']}, {p0['steps']} steps")
    head = "".join(
        f" | {'UAVs observed' if p['uavs_observed'] else 'UAVs not observed':>22}" for p in profiles
    )
    print(f"  {'phase':24s}{head}")
    for i, ph in enumerate(p0["phases"]):
        cells = "".join(
            f" | {p['phases'][i]['us']:8.2f} us {100 * p['phases'][i]['share']:6.1f} %"
            for p in profiles
        )
        print(f"  {ph['phase']:24s}{cells}")
    for key, label in (
        ("phase_sum_us", "phase sum"),
        ("dispatch_us", "dispatch and blocking"),
        ("whole_step_us", "whole step"),
    ):
        cells = "".join(f" | {p[key]:8.2f} us {'':8s}" for p in profiles)
        print(f"  {label:24s}{cells}")
    cells = "".join(
        f" | {p['call_us']['packed']:5.2f} / {p['call_us']['namedtuples']:5.2f} us  "
        for p in profiles
    )
    print(f"  {'call, no world active':24s}{cells}  (packed / NamedTuple entry, per call)")
    for p in profiles:
        lim = ", ".join(f"{k} {v:.0f}" for k, v in p["limits"].items())
        rate = p["agent_steps_per_s"] or 0.0
        print(
            f"  UAVs observed={p['uavs_observed']}: {rate:,.0f} agent-steps/s (whole step); "
            f"{p['live_uavs_per_world_step']:.1f} live UAVs per world-step; {lim}"
        )


def main(argv: Sequence[str] | None = None) -> list[dict[str, Any]]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scenario", default="strike_small")
    p.add_argument("--worlds", type=int, default=1024)
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    if args.worlds < 1 or args.steps < 1:
        p.error("--worlds and --steps must be >= 1")
    out = [
        profile(args.scenario, args.worlds, args.steps, args.seed, observed)
        for observed in (True, False)
    ]
    render(out)
    return out


if __name__ == "__main__":
    main()

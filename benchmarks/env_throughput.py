"""Env throughput: aerena against MPE2 in one run, the batched core, and unit-count scaling.

    .venv/bin/python benchmarks/env_throughput.py                  # all rows, 3 s per row
    .venv/bin/python benchmarks/env_throughput.py --rows a --seconds 5
    .venv/bin/python benchmarks/env_throughput.py --quick          # a few seconds in all
    .venv/bin/python benchmarks/env_throughput.py --rows p         # where a step's time goes

Rows (see benchmarks/README.md for the targets):

* (a) PettingZoo API, one env, one world: `aerena.parallel_env("strike_small")` next to
  MPE2 `simple_tag_v3.parallel_env()` (4 agents, discrete actions). Both choose a random
  legal action per live agent every step (aerena: uniform over `obs[a]["action_mask"]`;
  MPE2: `action_space(a).sample()`, seeded). Env-steps/s count the time spent inside
  `env.step()` only (action choice and `reset()` excluded, for both); the rate with action
  choice included is reported beside it. The ratio aerena / MPE2 is the headline number.
* (b) the batched core: `World("strike_small", B)` stepped with `world.step(actions,
  ~world.done)` and finished worlds auto-reset (`world.reset(seeds, worlds=idx)`, timed), for
  B = 1, 64, 1024; plus `aerena.vector_env(..., copy=False)` at B = 1024 when importable.
  Before timing, the worlds are spread over their episodes (each gets a copy of a helper
  world at a random step), so the timing sees a steady mix of episode phases and auto-resets
  rather than B worlds in lockstep at the start of an episode.
* (c) scaling in unit count: `swarm_1000` (1000 UAVs) and the same scenario scaled down in
  code to 100 and 10 UAVs (carriers, launch counts, batteries and assets scaled
  proportionally, validated with `Scenario.model_validate`); one world each, played to a
  mid-episode snapshot (step 300: every UAV launched), then windows of 100 steps replayed
  from it (restores untimed), so every size is timed over the same part of its episode.
  Reports world-steps/s, time per step per unit (air + ground entities) and the growth
  exponent between sizes.

* (p) the step profile (`--rows p`, not in the default set; see `step_profile.py`): each
  phase of `kernels.step_block` timed alone at B = 1024 (us per world-step and share), the
  whole step from the same snapshot, dispatch = the difference; every agent observed and
  with the UAVs' observations off (`World.observe`); limits per live UAV and per
  radar-air pair.

Targets (issue 17): PettingZoo env-steps/s >= 10x MPE2; batched core agent-steps/s >= 150x
MPE2's agent-steps/s in the same run (needs row a); swarm_1000 >= 250 world-steps/s.

Actions in (b) and (c) are the "raid" policy: drawn outside the timed region into a pool
of 64 action arrays (UAVs fly straight and level at a random speed, jammers switch their
jammer at random; radars emit), except the launchers, which engage the first engageable
slot of their action mask -- a vectorised NumPy argmax inside the timed region (a few
microseconds per step). All actions are legal. Counting: world-steps = worlds stepped;
agent-steps = world-steps x N (every agent column, the vector-env convention); live
agent-steps count only the agents alive at the start of the step.

Method: one thread (`NUMBA_NUM_THREADS=1`, `OMP_NUM_THREADS=1`, set before the imports) and
one core (`os.sched_setaffinity`, when available); a warm-up before timing (JIT cache load,
first steps); each row runs for a fixed wall budget (`--seconds`) per repeat, and the
median of `--repeats` (3) repeats is reported with its spread. The machine may be shared:
the load average is printed in the header and stored in the JSON; ratios measured in the
same run are the numbers to compare. Results go to `--out` (JSON, written atomically).
"""

from __future__ import annotations

import os

for _var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "benchmarks" / "results" / "env_throughput.json"
SCHEMA_VERSION = 1
POOL = 64  # precomputed action arrays cycled through in (b) and (c)
SCALE_SIZES = (10, 100, 1000)

# Targets (issue 17; see README): checked and reported, never asserted.
TARGET_PZ_RATIO = 10.0  # aerena / MPE2 env-steps/s through the PettingZoo API
TARGET_CORE_RATIO = 150.0  # batched core agent-steps/s / MPE2 agent-steps/s (row a, same run)
TARGET_SWARM_STEPS = 250.0  # world-steps/s, swarm_1000, one world, one core


# ======================================================================================
# Timing
# ======================================================================================
@dataclass
class Sample:
    """One timed repeat: counts and the seconds they took."""

    world_steps: int = 0
    agent_steps: int = 0
    live_agent_steps: int = 0
    seconds: float = 0.0  # the time the rates are computed from
    wall: float = 0.0  # the whole repeat, including untimed parts
    extra_seconds: float = 0.0  # e.g. action choice in (a)
    episodes: int = 0  # episodes finished (auto-resets)

    def rate(self, what: str) -> float:
        return getattr(self, what) / self.seconds if self.seconds > 0 else 0.0


@dataclass
class Row:
    """A benchmark row: its description and the median over repeats."""

    id: str
    group: str
    name: str
    scenario: str
    num_worlds: int
    num_agents: int
    actions: str
    timing: str
    samples: list[Sample] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def median(self, what: str) -> float:
        rates = [s.rate(what) for s in self.samples]
        return float(statistics.median(rates)) if rates else 0.0

    def spread(self, what: str) -> float:
        """(max - min) / median of a rate over the repeats."""
        rates = [s.rate(what) for s in self.samples]
        med = statistics.median(rates) if rates else 0.0
        return float((max(rates) - min(rates)) / med) if med > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "group": self.group,
            "name": self.name,
            "scenario": self.scenario,
            "num_worlds": self.num_worlds,
            "num_agents": self.num_agents,
            "actions": self.actions,
            "timing": self.timing,
            "error": self.error,
            "repeats": [
                {
                    "world_steps": s.world_steps,
                    "agent_steps": s.agent_steps,
                    "live_agent_steps": s.live_agent_steps,
                    "seconds": s.seconds,
                    "wall_seconds": s.wall,
                    "extra_seconds": s.extra_seconds,
                    "episodes_finished": s.episodes,
                }
                for s in self.samples
            ],
        }
        if self.samples:
            ws = self.median("world_steps")
            out.update(
                world_steps_per_s=ws,
                agent_steps_per_s=self.median("agent_steps"),
                live_agent_steps_per_s=self.median("live_agent_steps"),
                us_per_world_step=1e6 / ws if ws > 0 else None,
                episodes_per_s=self.median("episodes"),
                spread=self.spread("world_steps"),
            )
        out.update(self.info)
        return out


def timed_repeats(
    row: Row,
    run: Callable[[float], Sample],
    seconds: float,
    repeats: int,
    warmup: float,
) -> None:
    """Warm up once, then time `repeats` runs of `seconds` each into `row.samples`."""
    run(warmup)
    for _ in range(repeats):
        row.samples.append(run(seconds))


# ======================================================================================
# (a) PettingZoo API: aerena vs MPE2
# ======================================================================================
def _pettingzoo_run(
    env: Any, choose: Callable[[dict[str, Any]], dict[str, Any]], seed: int
) -> Callable[[float], Sample]:
    """A runner stepping a ParallelEnv for a wall budget; resets are untimed."""
    state = {"obs": None, "episodes": 0}

    def reset() -> None:
        state["obs"], _ = env.reset(seed=seed + state["episodes"])
        state["episodes"] += 1

    reset()

    def run(budget: float) -> Sample:
        s = Sample()
        clock = time.perf_counter
        start = clock()
        end = start + budget
        step_t = act_t = 0.0
        while True:
            if not env.agents:
                reset()
            t0 = clock()
            actions = choose(state["obs"])
            t1 = clock()
            obs, _, _, _, _ = env.step(actions)
            t2 = clock()
            act_t += t1 - t0
            step_t += t2 - t1
            state["obs"] = obs
            s.episodes += not env.agents
            s.world_steps += 1
            s.agent_steps += len(actions)
            if t2 >= end:
                break
        s.live_agent_steps = s.agent_steps
        s.seconds = step_t
        s.extra_seconds = act_t
        s.wall = clock() - start
        return s

    return run


def rows_pettingzoo(seconds: float, repeats: int, warmup: float, seed: int) -> list[Row]:
    rows: list[Row] = []
    timing = "env.step() only (action choice and reset excluded, both envs)"

    # --- MPE2 simple_tag_v3 -----------------------------------------------------------
    row = Row(
        id="a.mpe2",
        group="a",
        name="MPE2 simple_tag_v3 (PettingZoo)",
        scenario="simple_tag_v3",
        num_worlds=1,
        num_agents=4,
        actions="random: action_space(a).sample(), seeded",
        timing=timing,
    )
    try:
        from mpe2 import simple_tag_v3

        env = simple_tag_v3.parallel_env(max_cycles=900)
        env.reset(seed=seed)
        row.num_agents = len(env.possible_agents)
        for i, a in enumerate(env.possible_agents):
            env.action_space(a).seed(seed + i)

        def choose_mpe(obs: dict[str, Any], env: Any = env) -> dict[str, Any]:
            return {a: env.action_space(a).sample() for a in env.agents}

        timed_repeats(row, _pettingzoo_run(env, choose_mpe, seed), seconds, repeats, warmup)
        env.close()
    except Exception as e:  # noqa: BLE001 - a missing peer must not sink the other rows
        row.error = f"{type(e).__name__}: {e}"
    rows.append(row)

    # --- aerena parallel_env ----------------------------------------------------------
    row = Row(
        id="a.aerena",
        group="a",
        name="aerena parallel_env (PettingZoo)",
        scenario="strike_small",
        num_worlds=1,
        num_agents=0,
        actions="random legal: uniform over obs[a]['action_mask'] (pre-drawn uniforms)",
        timing=timing,
    )
    try:
        import aerena

        env = aerena.parallel_env("strike_small", seed=seed)
        row.num_agents = len(env.possible_agents)
        u = np.random.default_rng(seed).random(1 << 16)
        pos = [0]

        def choose_aerena(obs: dict[str, Any], env: Any = env) -> dict[str, Any]:
            # obs also holds agents that just left: act for the live ones (env.agents)
            i = pos[0]
            out = {}
            for a in env.agents:
                legal = np.flatnonzero(obs[a]["action_mask"])
                out[a] = int(legal[int(u[i] * len(legal))])
                i = (i + 1) & 0xFFFF
            pos[0] = i
            return out

        timed_repeats(row, _pettingzoo_run(env, choose_aerena, seed), seconds, repeats, warmup)
        env.close()
    except Exception as e:  # noqa: BLE001
        row.error = f"{type(e).__name__}: {e}"
    rows.append(row)

    for r in rows:
        if r.samples:
            incl = statistics.median(
                s.world_steps / (s.seconds + s.extra_seconds) for s in r.samples
            )
            r.info["env_steps_per_s_with_action_choice"] = float(incl)
    return rows


# ======================================================================================
# (b), (c) the batched core
# ======================================================================================
def raid_pool(world: Any, rng: np.random.Generator, pool: int = POOL) -> np.ndarray:
    """[pool, B, N] int64 legal actions: UAVs straight and level at a random speed
    (jammers switch the jammer at random), launchers hold (overwritten per step), radars
    emit."""
    from aerena.envs.airdefense import layout as Lo

    B, N = world.num_worlds, world.sizes["N"]
    U, C = world.sizes["U"], world.sizes["C"]
    out = np.zeros((pool, B, N), dtype=np.int64)
    speed = rng.integers(0, 3, size=(pool, B, U))
    jammer = world.roster.air_role[C:] == Lo.JAMMER
    jam = rng.integers(0, 2, size=(pool, B, U)) * jammer[None, None, :]
    # a = jam * 27 + (turn + 1) * 9 + (climb + 1) * 3 + speed, with turn = climb = 0
    out[:, :, :U] = jam * 27 + 9 + 3 + speed
    return out


def engage_first(act_mask: np.ndarray, lcols: np.ndarray, k: int, out: np.ndarray) -> None:
    """Launchers fire at their first engageable slot (1 + k), else hold (0); in place."""
    if len(lcols) == 0:
        return
    m = act_mask[:, lcols, 1 : 1 + k]  # [B, L, K]
    first = m.argmax(axis=2)
    out[:, lcols] = np.where(m.any(axis=2), first + 1, 0)


def _launcher_cols(world: Any) -> np.ndarray:
    from aerena.envs.airdefense import layout as Lo

    return np.flatnonzero(world.agent_role == Lo.AGENT_LAUNCHER)


def stagger(world: Any, seed: int, helpers: int = 8) -> None:
    """Spread the B worlds over their episodes, as in a long-running vector env.

    `helpers` worlds play the raid policy (with auto-reset) for `max_steps` steps; world b
    receives a copy of helper `b % helpers` at a uniformly drawn step. Without this, B worlds
    reset together stay in lockstep and a short timing sees only the start of an episode.
    """
    from aerena.envs.airdefense.world import World

    B = world.num_worlds
    M = min(B, helpers)
    src = World(world.scenario, M)
    src.reset(range(seed + 10_000, seed + 10_000 + M))
    rng = np.random.default_rng(seed + 1)
    phase = rng.integers(0, world.static.max_steps, size=B)
    order = np.argsort(phase, kind="stable")
    pool = raid_pool(src, rng)
    lcols = _launcher_cols(src)
    next_seed = seed + 20_000
    j = 0
    for t in range(world.static.max_steps):
        while j < B and phase[order[j]] == t:
            b = int(order[j])
            for dst, sv in zip(world.state, src.state, strict=True):
                dst[b] = sv[b % M]
            world.seeds[b] = src.seeds[b % M]
            j += 1
        if j == B:
            break
        act = pool[t % POOL]
        engage_first(src.state.act_mask, lcols, src.static.k, act)
        src.step(act, ~src.done)
        done = src.done
        if done.any():
            idx = np.flatnonzero(done)
            src.reset(range(next_seed, next_seed + len(idx)), worlds=idx)
            next_seed += len(idx)


def _world_run(world: Any, seed: int) -> Callable[[float], Sample]:
    """A runner stepping a `World` with the raid policy and timed auto-reset."""
    B, N = world.num_worlds, world.sizes["N"]
    pool = raid_pool(world, np.random.default_rng(seed))
    lcols = _launcher_cols(world)
    k = world.static.k
    state = {"i": 0, "next_seed": seed + 1_000_000}
    s_ = world.state

    def run(budget: float) -> Sample:
        s = Sample()
        clock = time.perf_counter
        start = clock()
        end = start + budget
        i = state["i"]
        live = 0
        steps = 0
        while True:
            act = pool[i % POOL]
            i += 1
            engage_first(s_.act_mask, lcols, k, act)
            live += int(np.count_nonzero(s_.agent_alive))
            world.step(act, ~world.done)
            steps += 1
            done = world.done
            if done.any():
                idx = np.flatnonzero(done)
                n0 = state["next_seed"]
                world.reset(range(n0, n0 + len(idx)), worlds=idx)
                state["next_seed"] = n0 + len(idx)
                s.episodes += len(idx)
            if clock() >= end:
                break
        s.seconds = s.wall = clock() - start
        state["i"] = i
        s.world_steps = steps * B
        s.agent_steps = steps * B * N
        s.live_agent_steps = live
        return s

    return run


def _vector_run(venv: Any, seed: int) -> Callable[[float], Sample]:
    """A runner stepping `aerena.vector_env` (it auto-resets by itself)."""
    w = venv.world
    B, N = venv.num_envs, venv.num_agents
    pool = raid_pool(w, np.random.default_rng(seed))
    lcols = _launcher_cols(w)
    k = w.static.k
    venv.reset(seed=seed)
    stagger(w, seed)
    state = {"i": 0, "mask": w.state.act_mask, "alive": w.state.agent_alive}

    def run(budget: float) -> Sample:
        s = Sample()
        clock = time.perf_counter
        start = clock()
        end = start + budget
        i = state["i"]
        mask, alive = state["mask"], state["alive"]
        live = 0
        steps = 0
        while True:
            act = pool[i % POOL]
            i += 1
            engage_first(mask, lcols, k, act)
            live += int(np.count_nonzero(alive))
            obs, _, term, trunc, _ = venv.step(act)
            mask, alive = obs["action_mask"], obs["agent_alive"]
            s.episodes += int(np.count_nonzero(term | trunc))
            steps += 1
            if clock() >= end:
                break
        s.seconds = s.wall = clock() - start
        state.update(i=i, mask=mask, alive=alive)
        s.world_steps = steps * B
        s.agent_steps = steps * B * N
        s.live_agent_steps = live
        return s

    return run


RAID = (
    "raid policy: pool of 64 pre-drawn arrays (UAVs straight+level, random speed/jam; "
    "radars emit) + launchers engage first engageable slot (numpy, timed)"
)


def rows_core(
    seconds: float, repeats: int, warmup: float, seed: int, sizes: Sequence[int]
) -> list[Row]:
    from aerena.envs.airdefense.world import World

    rows: list[Row] = []
    for B in sizes:
        row = Row(
            id=f"b.world.B{B}",
            group="b",
            name=f"World core, B={B}",
            scenario="strike_small",
            num_worlds=B,
            num_agents=0,
            actions=RAID,
            timing="whole loop: action fill + world.step(actions, ~world.done) + auto-reset",
        )
        try:
            world = World("strike_small", B)
            world.reset(range(seed, seed + B))
            stagger(world, seed)
            row.num_agents = world.sizes["N"]
            timed_repeats(row, _world_run(world, seed), seconds, repeats, warmup)
        except Exception as e:  # noqa: BLE001
            row.error = f"{type(e).__name__}: {e}"
        rows.append(row)

    B = max(sizes)
    row = Row(
        id=f"b.vector.B{B}",
        group="b",
        name=f"vector_env, B={B}, copy=False",
        scenario="strike_small",
        num_worlds=B,
        num_agents=0,
        actions=RAID,
        timing="whole loop: action fill + venv.step(actions) (auto-reset, info dicts)",
    )
    try:
        import aerena

        venv = aerena.vector_env("strike_small", B, seed=seed, copy=False)
    except Exception as e:  # noqa: BLE001 - optional row: skipped when not importable
        row.error = f"not importable: {type(e).__name__}: {e}"
        venv = None
    if venv is not None:
        try:
            row.num_agents = venv.num_agents
            timed_repeats(row, _vector_run(venv, seed), seconds, repeats, warmup)
        except Exception as e:  # noqa: BLE001
            row.error = f"{type(e).__name__}: {e}"
    rows.append(row)
    return rows


# --------------------------------------------------------------------------------------
# (c) scaling in unit count
# --------------------------------------------------------------------------------------
def _largest_remainder(weights: Sequence[float], total: int) -> list[int]:
    """Integers proportional to `weights` summing to `total`."""
    wsum = float(sum(weights))
    exact = [w * total / wsum for w in weights]
    out = [int(math.floor(x)) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: exact[i] - out[i], reverse=True)
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


def scaled_swarm(n_uavs: int) -> Any:
    """`swarm_1000` scaled to `n_uavs` UAVs: carriers (up to 10, each launching a scaled
    copy of the 100-UAV wave), batteries and asset counts scaled by n / 1000 (at least 1)."""
    from aerena.scenarios.loader import load_scenario
    from aerena.scenarios.schema import Scenario

    base = load_scenario("swarm_1000")
    data = base.model_dump(mode="json")
    n0 = sum(l["count"] for c in data["attacker"]["carriers"] for l in c["launches"])
    if n_uavs == n0:
        return base
    f = n_uavs / n0
    carriers = data["attacker"]["carriers"]
    n_car = max(1, min(len(carriers), n_uavs // 10))  # at least ~10 UAVs per carrier
    per = _largest_remainder([1.0] * n_car, n_uavs)
    kept = []
    for c, m in zip(carriers[:n_car], per, strict=True):
        counts = _largest_remainder([l["count"] for l in c["launches"]], m)
        c["launches"] = [
            {**l, "count": k} for l, k in zip(c["launches"], counts, strict=True) if k > 0
        ]
        if c["launches"]:
            kept.append(c)
    data["attacker"]["carriers"] = kept
    for bat in data["defender"]["batteries"]:
        bat["count"] = max(1, round(bat["count"] * f))
    for a in data["assets"]:
        a["count"] = max(1, round(a["count"] * f))
    data["name"] = f"swarm_{n_uavs}"
    data["description"] = f"swarm_1000 scaled to {n_uavs} UAVs (benchmark)"
    return Scenario.model_validate(data)


def _advance(world: Any, seed: int, steps: int, cap: float) -> int:
    """Play world 0 forward `steps` steps with the raid policy (at most `cap` seconds, and
    not past the end of the episode); returns the steps done."""
    pool = raid_pool(world, np.random.default_rng(seed))
    lcols = _launcher_cols(world)
    end = time.perf_counter() + cap
    done = 0
    while done < steps and not world.done[0] and time.perf_counter() < end:
        act = pool[done % POOL]
        engage_first(world.state.act_mask, lcols, world.static.k, act)
        world.step(act)
        done += 1
    return done


def _window_run(world: Any, seed: int, snap: Any, window: int) -> Callable[[float], Sample]:
    """A runner replaying windows of `window` steps from `snap` (restores untimed).

    Every window starts from the same state with the same actions, so every size is timed
    over the same part of its episode however fast it runs."""
    N = world.sizes["N"]
    pool = raid_pool(world, np.random.default_rng(seed + 7))
    lcols = _launcher_cols(world)
    k = world.static.k
    s_ = world.state

    def run(budget: float) -> Sample:
        s = Sample()
        clock = time.perf_counter
        start = clock()
        end = start + budget
        steps = live = 0
        timed = 0.0
        while True:
            world.restore(snap)
            t0 = clock()
            for i in range(window):
                act = pool[i % POOL]
                engage_first(s_.act_mask, lcols, k, act)
                live += int(np.count_nonzero(s_.agent_alive))
                world.step(act, ~world.done)
                steps += 1
                if world.done[0] or clock() >= end:
                    break
            t1 = clock()
            timed += t1 - t0
            if t1 >= end:
                break
        s.seconds = timed
        s.wall = clock() - start
        s.world_steps = steps
        s.agent_steps = steps * N
        s.live_agent_steps = live
        return s

    return run


def rows_scaling(
    seconds: float,
    repeats: int,
    warmup: float,
    seed: int,
    advance: int,
    window: int,
    sizes: Sequence[int] = SCALE_SIZES,
) -> list[Row]:
    from aerena.envs.airdefense.world import World

    rows: list[Row] = []
    for n in sizes:
        name = "swarm_1000" if n == 1000 else f"swarm_1000 scaled to {n} UAVs"
        row = Row(
            id=f"c.swarm.{n}",
            group="c",
            name=f"{n} UAVs",
            scenario=name,
            num_worlds=1,
            num_agents=0,
            actions=RAID,
            timing=f"one world, windows of {window} steps replayed from a snapshot at step "
            f"{advance} (restores untimed)",
        )
        try:
            world = World(scaled_swarm(n), 1)
            world.reset([seed])
            sz = world.sizes
            row.num_agents = sz["N"]
            units = sz["A"] + sz["G"]
            reached = _advance(world, seed, advance, cap=max(10.0 * seconds, 2.0))
            snap = world.snapshot()
            run = _window_run(world, seed, snap, window)
            timed_repeats(row, run, seconds, repeats, warmup)
            row.info.update(
                n_uavs=int(sz["U"]),
                units=int(units),
                sizes={k: int(v) for k, v in sz.items()},
                snapshot_step=int(reached),
                uavs_active_at_snapshot=int(np.count_nonzero(snap.agent_alive[0, : sz["U"]])),
            )
            ws = row.median("world_steps")
            row.info["us_per_step_per_unit"] = 1e6 / ws / units if ws > 0 else None
        except Exception as e:  # noqa: BLE001
            row.error = f"{type(e).__name__}: {e}"
        rows.append(row)

    ok = [r for r in rows if r.samples and r.info.get("units")]
    for r0, r1 in zip(ok, ok[1:], strict=False):
        t0, t1 = 1.0 / r0.median("world_steps"), 1.0 / r1.median("world_steps")
        n0, n1 = r0.info["units"], r1.info["units"]
        exp = math.log(t1 / t0) / math.log(n1 / n0)
        nlogn = math.log((n1 * math.log(n1)) / (n0 * math.log(n0))) / math.log(n1 / n0)
        r1.info["growth_exponent"] = exp
        r1.info["growth_exponent_nlogn"] = nlogn
        r1.info["growth_from"] = r0.id
    return rows


# ======================================================================================
# Report
# ======================================================================================
def _fmt(x: float | None, digits: int = 0) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    if digits == 0:
        return f"{x:,.0f}"
    return f"{x:,.{digits}f}"


def summarize(rows: list[Row]) -> dict[str, Any]:
    by = {r.id: r for r in rows}
    targets: dict[str, Any] = {}
    pz: dict[str, Any] = {}
    a, m = by.get("a.aerena"), by.get("a.mpe2")
    if a and m and a.samples and m.samples:
        ratio = a.median("world_steps") / m.median("world_steps")
        incl = a.info["env_steps_per_s_with_action_choice"] / max(
            m.info["env_steps_per_s_with_action_choice"], 1e-12
        )
        pz = {"ratio_env_steps": ratio, "ratio_env_steps_with_action_choice": incl}
        targets["pettingzoo_ratio_vs_mpe2"] = {
            "value": ratio,
            "target": TARGET_PZ_RATIO,
            "met": ratio >= TARGET_PZ_RATIO,
        }
    core = [r for r in rows if r.group == "b" and r.id.startswith("b.world") and r.samples]
    if core:
        best = max(core, key=lambda r: r.median("agent_steps"))
        v = best.median("agent_steps")
        # the peer's agent-steps/s: env-steps/s x its agents (needs row a in the same run)
        peer = m.median("world_steps") * m.num_agents if m and m.samples else None
        want = TARGET_CORE_RATIO * peer if peer else None
        targets["core_agent_steps_per_s"] = {
            "value": v,
            "target": want,
            "met": bool(want) and v >= want,
            "row": best.id,
            "ratio_vs_mpe2": v / peer if peer else None,
            "target_ratio_vs_mpe2": TARGET_CORE_RATIO,
        }
    sw = by.get("c.swarm.1000")
    if sw and sw.samples:
        v = sw.median("world_steps")
        targets["swarm_1000_world_steps_per_s"] = {
            "value": v,
            "target": TARGET_SWARM_STEPS,
            "met": v >= TARGET_SWARM_STEPS,
        }
    exps = [r for r in rows if "growth_exponent" in r.info]
    if exps:
        worst = max(exps, key=lambda r: r.info["growth_exponent"] - r.info["growth_exponent_nlogn"])
        targets["scaling_no_worse_than_nlogn"] = {
            "value": worst.info["growth_exponent"],
            "target": worst.info["growth_exponent_nlogn"],
            "met": all(r.info["growth_exponent"] <= r.info["growth_exponent_nlogn"] for r in exps),
            "row": worst.id,
        }
    return {"pettingzoo": pz, "targets": targets}


def render(rows: list[Row], header: dict[str, Any], summary: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console(width=max(120, Console().width))
    la = header["loadavg_start"]
    con.print(
        f"[bold]aerena env throughput[/bold]  {header['timestamp']}  "
        f"python {header['python']}  numpy {header['numpy']}  numba {header['numba']}"
    )
    con.print(
        f"cpu: {header['cpu_count']} cores, pinned to {header['affinity']}, threads=1; "
        f"load average (1/5/15 min) at start: "
        + ("/".join(f"{x:.2f}" for x in la) if la else "n/a")
        + f"; budget {header['seconds']} s x {header['repeats']} repeats (median)"
    )

    def errors(group: str) -> None:
        for r in rows:
            if r.group == group and r.error:
                con.print(f"  [yellow]{r.id}: {r.error}[/yellow]")

    if any(r.group == "a" for r in rows):
        t = Table(title="(a) PettingZoo API, one env (rates: time in env.step() only)")
        for c in (
            "row",
            "scenario",
            "agents",
            "env-steps/s",
            "+/-",
            "agent-steps/s",
            "env-steps/s incl. action choice",
        ):
            t.add_column(c, justify="left" if c in ("row", "scenario") else "right")
        for r in rows:
            if r.group != "a" or not r.samples:
                continue
            t.add_row(
                r.name,
                r.scenario,
                str(r.num_agents),
                _fmt(r.median("world_steps")),
                f"{100 * r.spread('world_steps'):.0f}%",
                _fmt(r.median("agent_steps")),
                _fmt(r.info.get("env_steps_per_s_with_action_choice")),
            )
        con.print(t)
        pz = summary.get("pettingzoo") or {}
        if pz:
            con.print(
                f"  ratio aerena / MPE2: [bold]{pz['ratio_env_steps']:.2f}x[/bold] env-steps/s "
                f"({pz['ratio_env_steps_with_action_choice']:.2f}x with action choice); "
                f"target >= {TARGET_PZ_RATIO:.0f}x"
            )
        errors("a")

    if any(r.group == "b" for r in rows):
        t = Table(title="(b) batched core, strike_small (whole loop timed, auto-reset)")
        for c in (
            "row",
            "B",
            "N",
            "world-steps/s",
            "+/-",
            "agent-steps/s",
            "live agent-steps/s",
            "us/world-step",
        ):
            t.add_column(c, justify="left" if c == "row" else "right")
        for r in rows:
            if r.group != "b" or not r.samples:
                continue
            ws = r.median("world_steps")
            t.add_row(
                r.name,
                str(r.num_worlds),
                str(r.num_agents),
                _fmt(ws),
                f"{100 * r.spread('world_steps'):.0f}%",
                _fmt(r.median("agent_steps")),
                _fmt(r.median("live_agent_steps")),
                _fmt(1e6 / ws if ws else None, 2),
            )
        con.print(t)
        errors("b")

    if any(r.group == "c" for r in rows):
        t = Table(title="(c) scaling in unit count, one world (swarm_1000 and scaled copies)")
        for c in (
            "row",
            "UAVs",
            "units",
            "agents",
            "world-steps/s",
            "+/-",
            "ms/step",
            "us/step/unit",
            "exponent",
            "n log n",
        ):
            t.add_column(c, justify="left" if c == "row" else "right")
        for r in rows:
            if r.group != "c" or not r.samples:
                continue
            ws = r.median("world_steps")
            t.add_row(
                r.scenario,
                str(r.info.get("n_uavs", "-")),
                str(r.info.get("units", "-")),
                str(r.num_agents),
                _fmt(ws, 1),
                f"{100 * r.spread('world_steps'):.0f}%",
                _fmt(1e3 / ws if ws else None, 3),
                _fmt(r.info.get("us_per_step_per_unit"), 3),
                _fmt(r.info.get("growth_exponent"), 2),
                _fmt(r.info.get("growth_exponent_nlogn"), 2),
            )
        con.print(t)
        errors("c")

    tg = summary.get("targets") or {}
    if tg:
        t = Table(title="targets (reported, never asserted)")
        for c in ("target", "measured", "wanted", "met"):
            t.add_column(c, justify="left" if c == "target" else "right")
        for name, d in tg.items():
            cmp = "<=" if name == "scaling_no_worse_than_nlogn" else ">="
            digits = 2 if d["value"] < 100 else 0
            t.add_row(
                name,
                _fmt(d["value"], digits),
                f"{cmp} {_fmt(d['target'], digits)}",
                "[green]yes[/green]" if d["met"] else "[red]no[/red]",
            )
        con.print(t)


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=2, allow_nan=False)
            f.write("\n")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual file mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ======================================================================================
# Main
# ======================================================================================
def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", default="a,b,c", help="row groups to run: a, b, c, p (default a,b,c)")
    p.add_argument(
        "--seconds",
        type=float,
        default=None,
        help="wall budget per repeat of each row (default 3; 0.2 with --quick)",
    )
    p.add_argument("--repeats", type=int, default=3, help="repeats per row; the median is kept")
    p.add_argument("--quick", action="store_true", help="short budgets (smoke test)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON results file")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--advance",
        type=int,
        default=None,
        help="(c): steps into the episode before timing (default 300; 5 with --quick)",
    )
    p.add_argument(
        "--window",
        type=int,
        default=None,
        help="(c): steps timed per replay from the snapshot (default 100; 5 with --quick)",
    )
    p.add_argument("--no-pin", action="store_true", help="do not pin the process to one core")
    args = p.parse_args(argv)
    groups = [g.strip() for g in args.rows.split(",") if g.strip()]
    bad = sorted(set(groups) - {"a", "b", "c", "p"})
    if bad or not groups:
        p.error(f"--rows takes a comma list of a, b, c, p; got {args.rows!r}")
    args.groups = groups
    if args.seconds is None:
        args.seconds = 0.2 if args.quick else 3.0
    if args.advance is None:
        args.advance = 5 if args.quick else 300
    if args.window is None:
        args.window = 5 if args.quick else 100
    if args.seconds <= 0 or args.repeats < 1 or args.window < 1 or args.advance < 0:
        p.error("--seconds must be > 0, --repeats and --window >= 1, --advance >= 0")
    return args


def _cpu_times() -> dict[int, tuple[int, int]]:
    """Per-core (busy, total) jiffies from /proc/stat (Linux); empty elsewhere."""
    out: dict[int, tuple[int, int]] = {}
    try:
        with open("/proc/stat") as f:
            for line in f:
                name, *vals = line.split()
                if name.startswith("cpu") and name[3:].isdigit():
                    v = [int(x) for x in vals]
                    idle = v[3] + (v[4] if len(v) > 4 else 0)  # idle + iowait
                    out[int(name[3:])] = (sum(v) - idle, sum(v))
    except (OSError, ValueError):
        return {}
    return out


def _idlest_core(cores: set[int], sample: float = 0.25) -> int:
    """The core of `cores` least busy over `sample` seconds (the lowest if unknown)."""
    a = _cpu_times()
    time.sleep(sample if a else 0.0)
    b = _cpu_times()
    busy = {}
    for c in cores:
        if c in a and c in b and b[c][1] > a[c][1]:
            busy[c] = (b[c][0] - a[c][0]) / (b[c][1] - a[c][1])
    return min(busy, key=lambda c: (busy[c], c)) if busy else min(cores)


def _pin() -> tuple[set[int] | None, list[int] | None]:
    """Pin to the least busy core of the current affinity set (the machine may be shared);
    returns (the previous set, the pinned core)."""
    if not hasattr(os, "sched_setaffinity"):
        return None, None
    try:
        before = os.sched_getaffinity(0)
        core = _idlest_core(before) if len(before) > 1 else min(before)
        os.sched_setaffinity(0, {core})
        return before, [core]
    except OSError:
        return None, None


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    previous, pinned = (None, None) if args.no_pin else _pin()
    try:
        import numba

        header: dict[str, Any] = {
            "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "numba": numba.__version__,
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(),
            "affinity": pinned if pinned is not None else "not pinned",
            "numba_num_threads": numba.config.NUMBA_NUM_THREADS,
            "loadavg_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
            "seconds": args.seconds,
            "repeats": args.repeats,
            "quick": bool(args.quick),
            "groups": args.groups,
            "advance": args.advance,
            "window": args.window,
        }
        warmup = min(0.5, args.seconds)
        rows: list[Row] = []
        t0 = time.perf_counter()
        if "a" in args.groups:
            rows += rows_pettingzoo(args.seconds, args.repeats, warmup, args.seed)
        if "b" in args.groups:
            rows += rows_core(args.seconds, args.repeats, warmup, args.seed, (1, 64, 1024))
        if "c" in args.groups:
            rows += rows_scaling(
                args.seconds, args.repeats, warmup, args.seed, args.advance, args.window
            )
        profiles = []
        if "p" in args.groups:
            sys.path.insert(0, str(Path(__file__).resolve().parent))
            import step_profile

            steps = 5 if args.quick else 100
            profiles = [step_profile.profile(worlds=1024 if not args.quick else 64,
                                             steps=steps, seed=args.seed, uavs_observed=o)
                        for o in (True, False)]  # fmt: skip
        header["loadavg_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
        header["total_seconds"] = time.perf_counter() - t0
        summary = summarize(rows)
        result = {
            "benchmark": "env_throughput",
            "schema_version": SCHEMA_VERSION,
            "header": header,
            "rows": [r.to_json() for r in rows],
            "summary": summary,
            "profile": profiles,
        }
        render(rows, header, summary)
        if profiles:
            step_profile.render(profiles)
        write_json_atomic(Path(args.out), result)
        print(f"wrote {args.out}")
        return result
    finally:
        if previous is not None:
            try:
                os.sched_setaffinity(0, previous)
            except OSError:
                pass


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()

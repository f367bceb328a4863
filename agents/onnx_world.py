"""What a world policy's ONNX model is: its inputs, metadata, files and the observations
of real episodes its parity check runs on (:mod:`aerena.agents.onnx_export` exports it).

* :data:`INPUTS`, :func:`module_sizes`, :func:`example_inputs`: the tensor interface;
* :func:`metadata`, :func:`action_meanings`: the `metadata_props` of the model;
* :func:`model_paths`, :func:`resolve_roles`, :func:`check_choices`: which files, which
  modules, and whether their action counts fit the run's play options;
* :func:`record_observations`: scripted-vs-scripted agent-steps under the play options.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from aerena.agents.export_pipeline import OUTPUTS
from aerena.errors import UserError
from aerena.version import __version__

INPUTS = ("self", "entities", "entity_mask", "action_mask")
SIDE_ROLES = {"attacker": ("uav",), "defender": ("launcher", "radar")}


def module_sizes(module: Any) -> tuple[int, int, int, int]:
    """(S, K, F, A) of an EntityGNNModule."""
    space = module.observation_space
    S = int(space["self"].shape[0])
    K, F = (int(x) for x in space["entities"].shape)
    return S, K, F, int(module.action_space.n)


def example_inputs(module: Any, batch: int = 2) -> tuple[Tensor, ...]:
    S, K, F, A = module_sizes(module)
    g = torch.Generator().manual_seed(0)
    mask = torch.ones(batch, K, dtype=torch.bool)
    mask[:, K // 2 :] = False
    return (
        torch.randn(batch, S, generator=g),
        torch.randn(batch, K, F, generator=g),
        mask,
        torch.ones(batch, A, dtype=torch.bool),
    )


# --------------------------------------------------------------------------------------
# Metadata
# --------------------------------------------------------------------------------------
def action_meanings(role: str, n_actions: int, play: dict[str, Any] | None = None) -> list[str]:
    """One human-readable string per choice of a role's module (under its play options:
    a held option names its action and duration, a plan its delay or target)."""
    from aerena.envs.airdefense import layout as Lo

    play = dict(play or {})
    hold = dict(play.get("hold") or {})
    if role in hold:
        ks = [int(k) for k in hold[role]]
        m = n_actions // len(ks)  # base choices: the world's actions, then behaviours
        n = Lo.UAV_ACTIONS if role == "uav" and role in dict(play.get("doctrine") or {}) else m
        base = action_meanings(role, n)
        if m > n:  # doctrine behaviours
            base += ["fly the doctrine"] + [f"fly the doctrine to target slot {t}"
                                            for t in range(m - n - 1)]  # fmt: skip
        return [f"{base[c % m]}, for {ks[c // m]} steps" for c in range(n_actions)]
    if role == "radar" and play.get("emission_plan"):
        step = float(play["emission_plan"][0])
        return [f"silent for {a * step:g} s, then emit" for a in range(n_actions)]
    if role == "uav" and play.get("target_plan"):
        return ["target of the doctrine"] + [f"target slot {t}" for t in range(n_actions - 1)]
    if role == "uav" and n_actions == Lo.UAV_ACTIONS:
        speed = ("slow", "cruise", "fast")
        out = []
        for a in range(n_actions):
            jam, rest = divmod(a, 27)
            turn, rest = divmod(rest, 9)
            climb, sp = divmod(rest, 3)
            out.append(
                f"jam {'on' if jam else 'off'}, turn {turn - 1:+d}, climb {climb - 1:+d}, "
                f"speed {speed[sp]}"
            )
        return out
    if role == "radar" and n_actions == Lo.RADAR_ACTIONS:
        return ["emit", "silent"]
    if role == "launcher":
        return ["hold"] + [f"engage entity slot {k}" for k in range(n_actions - 1)]
    return [str(a) for a in range(n_actions)]


def metadata(
    module: Any,
    role: str,
    module_id: str,
    scenario: str,
    overrides: dict[str, Any] | None = None,
    play: dict[str, Any] | None = None,
) -> dict[str, str]:
    from aerena.envs.airdefense import layout as Lo

    S, K, F, A = module_sizes(module)
    layout = {
        "inputs": {
            "self": {"shape": ["batch", S], "dtype": "float32"},
            "entities": {"shape": ["batch", K, F], "dtype": "float32"},
            "entity_mask": {"shape": ["batch", K], "dtype": "bool"},
            "action_mask": {"shape": ["batch", A], "dtype": "bool"},
        },
        "input_order": list(INPUTS),
        "outputs": list(OUTPUTS),
        "S": S,
        "K": K,
        "F": F,
        "A": A,
        "self_features": list(Lo.SELF_FEATURES),
        "entity_features": list(Lo.ENTITY_FEATURES),
    }
    return {
        "aerena_version": __version__,
        "scenario": scenario,
        "scenario_overrides": json.dumps(dict(overrides or {})),
        "role": role,
        "module_id": module_id,
        "observation_layout": json.dumps(layout),
        "action_meanings": json.dumps(action_meanings(role, A, play)),
        "play_options": json.dumps(dict(play or {})),
    }


def model_paths(out: str | Path, roles: Sequence[str]) -> dict[str, Path]:
    """role -> output file: `out` itself for one role, `<stem>.<role>.onnx` for several."""
    out = Path(out)
    if len(roles) == 1:
        return {roles[0]: out}
    stem = out.name[:-5] if out.name.endswith(".onnx") else out.name
    return {r: out.with_name(f"{stem}.{r}.onnx") for r in roles}


# --------------------------------------------------------------------------------------
# Observations from real episodes, parity
# --------------------------------------------------------------------------------------
def record_observations(
    scenario: str,
    overrides: dict[str, Any] | None,
    roles: Sequence[str],
    *,
    count: int = 1024,
    seed: int = 0,
    worlds: int = 8,
    max_steps: int = 20_000,
    play: dict[str, Any] | None = None,
) -> dict[str, tuple[np.ndarray, ...]]:
    """role -> (self, entities, entity_mask, action_mask) of >= `count` agent-steps
    (live agents with a legal action) from scripted-vs-scripted episodes; the action
    masks are those the module sees under the play options `play` (`SidePlay.masks`)."""
    from aerena.agents.play import SidePlay
    from aerena.agents.rl_module import ROLE_CODES
    from aerena.agents.scripted import make_player, side_columns
    from aerena.envs.airdefense.world import World

    world = World(scenario, worlds, **(overrides or {}))
    side_of = {"uav": "attacker", "launcher": "defender", "radar": "defender"}
    plays = {x: SidePlay(world, x, **dict(play or {}))
             for x in {side_of[r] for r in roles}}  # fmt: skip
    rows: dict[str, list[tuple[np.ndarray, ...]]] = {r: [] for r in roles}
    got = dict.fromkeys(roles, 0)
    cols = {r: np.flatnonzero(world.agent_role == ROLE_CODES[r]) for r in roles}
    for r in roles:
        if len(cols[r]) == 0:
            raise UserError(f"scenario {scenario!r} has no {r} agents to record")
    players = {s: make_player(s, "scripted", world, seed=seed + i)
               for i, s in enumerate(("attacker", "defender"))}  # fmt: skip
    side_cols = {s: side_columns(world, s) for s in players}
    world.reset([seed + b for b in range(worlds)])
    episode = worlds
    for p in players.values():
        p.reset()
    actions = np.zeros((worlds, world.sizes["N"]), dtype=np.int64)
    s = world.state
    for _ in range(max_steps):
        masks = {r: m for p in plays.values() for r, m in p.masks().items()}
        for r in roles:
            c = cols[r]
            am = masks[r]  # [B, agents of the role, choices], in column order
            ok = s.agent_alive[:, c] & am.any(axis=2)
            if ok.any():
                rows[r].append(
                    (s.obs_self[:, c][ok].copy(), s.obs_ent[:, c][ok].copy(),
                     s.obs_mask[:, c][ok].copy(), am[ok].copy())
                )  # fmt: skip
                got[r] += int(ok.sum())
        if all(got[r] >= count for r in roles):
            break
        done = np.flatnonzero(world.done)
        if len(done):
            world.reset([seed + episode + i for i in range(len(done))], worlds=done)
            episode += len(done)
            for p in players.values():
                p.reset(done)
        for side, p in players.items():
            actions[:, side_cols[side]] = p.act()
        world.step(actions)
    out = {}
    for r in roles:
        if got[r] < count:
            raise UserError(f"recorded only {got[r]} {r} observations (wanted {count})")
        out[r] = tuple(np.concatenate([x[i] for x in rows[r]])[:count] for i in range(4))
    return out


def resolve_roles(policy: str, modules: dict[str, Any]) -> list[str]:
    roles = list(SIDE_ROLES.get(policy, (policy,)))
    missing = [r for r in roles if r not in modules]
    if missing:
        raise UserError(
            f"--policy {policy}: the checkpoint has no module {', '.join(missing)} "
            f"(modules: {', '.join(sorted(modules))})"
        )
    return roles


def check_choices(
    modules: dict[str, Any], roles: Sequence[str], scenario: str,
    overrides: dict[str, Any] | None, play: dict[str, Any] | None,
) -> None:  # fmt: skip
    """Each module's action count is the choice count its play options give (a plan or
    held-option module exported without its run's options would be played wrongly)."""
    from aerena.agents.play import SidePlay
    from aerena.envs.airdefense.world import World

    world = World(scenario, 1, **(overrides or {}))
    groups = {}
    for side in ("attacker", "defender"):
        try:
            groups.update({g.role: g for g in SidePlay(world, side, **dict(play or {})).groups})
        except ValueError:
            continue  # options of the other side (e.g. hold.uav on a defender run)
    for role in roles:
        n_mod, g = int(modules[role].action_space.n), groups.get(role)
        if g is not None and n_mod != g.n_choices:
            raise UserError(
                f"the {role} module has {n_mod} actions, its play options give "
                f"{g.n_choices} choices: export from the run folder, which holds them"
            )

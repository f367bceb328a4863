"""Export the per-role policies of a checkpoint to ONNX, with a parity check.

    aerena export runs/tiny-defender-.../ --policy defender --out model.onnx --report

What is exported: the module's *inference* forward (`EntityGNNModule._forward`, the path
of `forward_inference`: encoder, role head, :func:`~aerena.agents.heads.mask_logits`),
wrapped by :class:`InferencePolicy` into a tensor-in / tensor-out module:

=============  ==========  =========================================================
input          shape       dtype
=============  ==========  =========================================================
`self`         [B, S]      float32 (`SELF_FEATURES`)
`entities`     [B, K, F]   float32 (`ENTITY_FEATURES`, nearest first, zero padded)
`entity_mask`  [B, K]      bool (True: a filled slot)
`action_mask`  [B, A]      bool (True: a legal action)
=============  ==========  =========================================================

outputs: `logits` [B, A] float32 (illegal actions hold the most negative finite float32,
exactly as in torch) and `action` [B] int64 (the masked greedy action, first maximum).
The batch axis `batch` is dynamic. One model per role: `--policy defender` writes
``<out stem>.launcher.onnx`` and ``<out stem>.radar.onnx``, `attacker` (or a single module
id) writes `--out` itself. :func:`model_paths` gives the files of an `--out` path and
:class:`aerena.deploy.OnnxPolicy` loads them by that rule.

Every node is in the standard domain ('' / 'ai.onnx'), `onnx.checker.check_model(...,
full_check=True)` passes, and `metadata_props` hold `aerena_version`, `scenario`,
`scenario_overrides` (JSON), `role`, `module_id`, `observation_layout` (JSON: input
order, S, K, F, feature names), `action_meanings` (JSON list, one string per choice) and
`play_options` (JSON: how the run played its modules -- decision intervals, held options,
emission latch / plan, target plan -- which :class:`aerena.deploy.OnnxPlayer` plays through
the same :class:`~aerena.agents.play.SidePlay` as training and evaluation).

Parity (:func:`parity`): onnxruntime against torch on observations recorded from real
episodes (scripted attacker vs scripted defender on the checkpoint's scenario; every live
agent of the role with a legal action, one row per agent-step): the max absolute logit
difference over legal actions must be <= 1e-5 with identical masked (illegal) logits and
identical greedy actions (fp32); `int8` (onnxruntime dynamic quantisation of the weights)
must agree on >= 99 % of the greedy actions. A failed check raises `UserError` and leaves
no file behind: models are written to temporary files beside the target and renamed only
after every check passed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from aerena.agents.export_pipeline import (
    ATOL,
    DEFAULT_OPSET,
    INT8_AGREEMENT,
    OUTPUTS,
    GreedyWrapper,
    commit,
    export_checked,
    export_onnx,
    latency_rows,
    logit_stats,
    one_thread,
    quantize_int8,
    session,
    staging,
)
from aerena.errors import UserError

INPUTS = ("self", "entities", "entity_mask", "action_mask")
SIDE_ROLES = {"attacker": ("uav",), "defender": ("launcher", "radar")}


# --------------------------------------------------------------------------------------
# The wrapper
# --------------------------------------------------------------------------------------
class InferencePolicy(GreedyWrapper):
    """Tensor-in / tensor-out view of an RLModule's inference forward.

    forward(self, entities, entity_mask, action_mask) -> (masked logits, greedy action).
    """

    def __init__(self, module: Any) -> None:
        super().__init__()
        self.module = module

    def forward(
        self, obs_self: Tensor, entities: Tensor, entity_mask: Tensor, action_mask: Tensor
    ) -> tuple[Tensor, Tensor]:
        # named arguments: the keys of the dynamo exporter's dynamic shapes
        return super().forward(obs_self, entities, entity_mask, action_mask)

    def logits(self, *inputs: Tensor) -> Tensor:
        from ray.rllib.core.columns import Columns  # ray stays lazy (an optional extra)

        obs = dict(zip(INPUTS, inputs, strict=True))
        return self.module._forward({Columns.OBS: obs})[Columns.ACTION_DIST_INPUTS]


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
        n = n_actions // len(ks)
        base = action_meanings(role, n)
        return [f"{base[c % n]}, for {ks[c // n]} steps" for c in range(n_actions)]
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
    from aerena import __version__
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


# --------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------
def export_module(
    module: Any,
    path: str | Path,
    *,
    meta: dict[str, str],
    opset: int = DEFAULT_OPSET,
    dynamo: bool = False,
) -> None:
    """Write the module's inference policy to `path` (an ONNX file, checked; see
    :func:`aerena.agents.export_pipeline.export_onnx` for the two exporters)."""
    batch = torch.export.Dim("batch") if dynamo else None
    names = ("obs_self", "entities", "entity_mask", "action_mask")  # forward's arguments
    export_onnx(
        InferencePolicy(module),
        example_inputs(module),
        path,
        input_names=INPUTS,
        dynamic_axes={name: {0: "batch"} for name in (*INPUTS, *OUTPUTS)},
        meta=meta,
        opset=opset,
        dynamo=dynamo,
        dynamic_shapes={n: {0: batch} for n in names} if dynamo else None,
    )


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


def _feeds(obs: tuple[np.ndarray, ...]) -> dict[str, np.ndarray]:
    s, e, m, a = obs
    return {
        "self": np.ascontiguousarray(s, np.float32),
        "entities": np.ascontiguousarray(e, np.float32),
        "entity_mask": np.ascontiguousarray(m != 0),
        "action_mask": np.ascontiguousarray(a != 0),
    }


def torch_logits(module: Any, obs: tuple[np.ndarray, ...]) -> np.ndarray:
    """Masked logits of the module's `forward_inference` on recorded observations."""
    from ray.rllib.core.columns import Columns

    f = _feeds(obs)
    batch = {Columns.OBS: {k: torch.from_numpy(v) for k, v in f.items()}}
    with torch.no_grad():
        return module.forward_inference(batch)[Columns.ACTION_DIST_INPUTS].numpy()


@dataclass
class Parity:
    role: str
    n: int
    max_abs_diff: float  # over legal actions
    masked_equal: bool  # illegal logits bit-identical
    action_agreement: float

    def ok(self, int8: bool) -> bool:
        if int8:
            return self.action_agreement >= INT8_AGREEMENT
        return self.max_abs_diff <= ATOL and self.masked_equal and self.action_agreement == 1.0

    def describe(self) -> str:
        return (
            f"{self.role}: {self.n} observations, max |dlogit| {self.max_abs_diff:.3g} "
            f"(legal actions), masked equal {self.masked_equal}, "
            f"greedy agreement {100 * self.action_agreement:.2f}%"
        )


def parity(module: Any, path: str | Path, obs: tuple[np.ndarray, ...], role: str = "") -> Parity:
    """Compare onnxruntime (`path`) against torch on recorded observations."""
    ref = torch_logits(module, obs)
    got, act = session(path).run(list(OUTPUTS), _feeds(obs))
    st = logit_stats(ref, got, act)
    return Parity(role, len(ref), st.max_abs_diff, st.masked_equal, float(np.mean(st.same)))


# --------------------------------------------------------------------------------------
# Latency report
# --------------------------------------------------------------------------------------
def latency(
    module: Any, paths: dict[str, Path], obs: tuple[np.ndarray, ...], calls: int = 1000
) -> dict[str, dict[str, float]]:
    """Batch-1 latency (ms, median and p99 over `calls`) on one thread; model sizes."""
    from ray.rllib.core.columns import Columns  # ray stays lazy (an optional extra)

    rows = [_feeds(tuple(x[i : i + 1] for x in obs)) for i in range(min(calls, len(obs[0])))]
    with one_thread():
        batches = [{Columns.OBS: {k: torch.from_numpy(v) for k, v in f.items()}} for f in rows]
        return latency_rows(
            lambda b: module.forward_inference(b)[Columns.ACTION_DIST_INPUTS].argmax(dim=-1),
            batches,
            list(module.parameters()),
            paths,
            lambda sess: rows,
            calls=calls,
        )


# --------------------------------------------------------------------------------------
# The whole export
# --------------------------------------------------------------------------------------
@dataclass
class RoleAdapter:
    """The pipeline's adapter (:class:`aerena.agents.export_pipeline.Adapter`) of one
    role's module: dynamic int8, parity on the role's recorded observations."""

    module: Any
    role: str
    obs: tuple[np.ndarray, ...]
    meta: dict[str, str]
    opset: int = DEFAULT_OPSET
    dynamo: bool = False

    def export(self, path: Path) -> None:
        export_module(self.module, path, opset=self.opset, dynamo=self.dynamo, meta=self.meta)

    def parity(self, path: Path, int8: bool) -> tuple[list[Parity], list[Parity]]:
        row = parity(self.module, path, self.obs, f"{self.role} int8" if int8 else self.role)
        return [row], [row]

    def quantize(self, fp32: Path, q8: Path) -> dict[str, Any]:
        quantize_int8(fp32, q8)
        return {}

    def latency(self, paths: dict[str, Path]) -> dict[str, dict[str, float]]:
        return latency(self.module, paths, self.obs)


@dataclass
class ExportResult:
    paths: dict[str, Path]  # role -> written file
    parity: list[Parity]
    report: dict[str, dict[str, dict[str, float]]]  # role -> runtime -> numbers


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


def export_policy(
    modules: dict[str, Any],
    policy: str,
    out: str | Path,
    *,
    scenario: str,
    overrides: dict[str, Any] | None = None,
    opset: int = DEFAULT_OPSET,
    int8: bool = False,
    report: bool = False,
    parity_count: int = 1024,
    seed: int = 0,
    dynamo: bool = False,
    play: dict[str, Any] | None = None,
) -> ExportResult:
    """Export, check, verify parity and write atomically (see the module docstring).
    `play`: the run's play options (`Experiment.play_options()`), written into the
    metadata and used for the parity observations' masks."""
    roles = resolve_roles(policy, modules)
    check_choices(modules, roles, scenario, overrides, play)
    targets = model_paths(out, roles)
    for p in targets.values():
        if not p.parent.is_dir():
            raise UserError(f"--out {out}: the folder {p.parent} does not exist")
    obs = record_observations(scenario, overrides, roles, count=parity_count, seed=seed,
                              play=play)  # fmt: skip
    from aerena.envs.airdefense.world import World

    scenario_name = str(World(scenario, 1, **(overrides or {})).scenario.name)
    results: list[Parity] = []
    rep: dict[str, dict[str, dict[str, float]]] = {}
    with staging(Path(out).parent) as folder:
        finals: dict[Path, Path] = {}
        for role in roles:
            module = modules[role].eval()
            meta = metadata(module, role, role, scenario_name, overrides, play)
            adapter = RoleAdapter(module, role, obs[role], meta, opset, dynamo)
            done = export_checked(adapter, folder, role, int8=int8, report=report)
            results += done.parity
            if report:
                rep[role] = done.report
            finals[done.path] = targets[role]
        commit(finals)
    return ExportResult(targets, results, rep)

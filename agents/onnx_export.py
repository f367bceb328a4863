"""Export the per-role policies of a checkpoint to ONNX, with a parity check.

    aerena export runs/tiny-defender-.../ --policy defender --out model.onnx --report

What is exported: the module's *inference* forward (`EntityGNNModule._forward`, the path
of `forward_inference`: encoder, role head, :func:`~aerena.agents.nn.mask_logits`),
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
id) writes `--out` itself. :func:`~aerena.agents.onnx_world.model_paths` gives the files
of an `--out` path and :class:`aerena.deploy.OnnxPolicy` loads them by that rule.

The steps are those of the one export pipeline (:mod:`aerena.agents.export_pipeline`);
:class:`RoleAdapter` is its adapter for one role's module, and the world policy's side --
inputs, metadata, recorded observations -- is :mod:`aerena.agents.onnx_world`.

Every node is in the standard domain ('' / 'ai.onnx'), `onnx.checker.check_model(...,
full_check=True)` passes, and `metadata_props` hold `aerena_version`, `scenario`,
`scenario_overrides` (JSON), `role`, `module_id`, `observation_layout` (JSON: input
order, S, K, F, feature names), `action_meanings` (JSON list, one string per choice) and
`play_options` (JSON: how the run played its modules -- decision intervals, held options,
emission latch / plan, target plan -- which :class:`aerena.deploy.OnnxPlayer` plays through
the same :class:`~aerena.agents.play.SidePlay` as training and evaluation).

Parity (:func:`~aerena.agents.onnx_world_checks.parity`): onnxruntime against torch on
observations recorded from real episodes (scripted attacker vs scripted defender on the
checkpoint's scenario; every live agent of the role with a legal action, one row per
agent-step): the max absolute logit difference over legal actions must be <= 1e-5 with
identical masked (illegal) logits and identical greedy actions (fp32); `int8` (onnxruntime
dynamic quantisation of the weights) must agree on >= 99 % of the greedy actions. A failed
check raises `UserError` and leaves no file behind: models are written to temporary files
beside the target and renamed only after every check passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from aerena.agents.export_pipeline import (
    DEFAULT_OPSET,
    OUTPUTS,
    GreedyWrapper,
    commit,
    export_checked,
    export_onnx,
    quantize_int8,
    staging,
)
from aerena.agents.onnx_world import (
    INPUTS,
    check_choices,
    example_inputs,
    metadata,
    model_paths,
    record_observations,
    resolve_roles,
)
from aerena.agents.onnx_world_checks import Parity, latency, parity, torch_logits
from aerena.errors import UserError


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


__all__ = [
    "ExportResult",
    "InferencePolicy",
    "Parity",
    "RoleAdapter",
    "check_choices",
    "export_module",
    "export_policy",
    "latency",
    "parity",
    "record_observations",
    "resolve_roles",
    "torch_logits",
]

"""What an exported graph policy says about itself: its ONNX axes, its trace inputs and its
``metadata_props`` (the layout :class:`aerena.deploy.GraphOnnxPolicy` reads).

:mod:`aerena.agents.solvers.onnx` (the graph adapter of the one export pipeline) exports
through these; the keys are listed in its module docstring.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from torch import Tensor

from aerena.agents.solvers.base import GraphPolicyNet
from aerena.agents.solvers.onnx_problems import ACTION_MEANING, ENV_IDS, make_env
from aerena.version import __version__


def action_axis(net: GraphPolicyNet) -> str:
    """Name of the logits' action axis: the action mask's axis 1 name, else "actions"."""
    return str(net.dynamic_axes.get("action_mask", {}).get(1, "actions"))


def dynamic_axes(net: GraphPolicyNet) -> dict[str, dict[int, str]]:
    """torch.onnx dynamic axes of the inputs (the net's) and of the outputs."""
    axes = {k: dict(net.dynamic_axes.get(k, {0: "batch"})) for k in net.obs_keys}
    axes["logits"] = {0: "batch", 1: action_axis(net)}
    axes["action"] = {0: "batch"}
    return axes


def _dtype_name(a: np.ndarray | Tensor) -> str:
    if isinstance(a, Tensor):
        return str(a.dtype).removeprefix("torch.")
    return str(a.dtype)


def observation_layout(
    net: GraphPolicyNet, example: Sequence[Tensor], used: Sequence[str] | None = None
) -> dict[str, Any]:
    """Input order, and each input's / output's dtype and shape with axis names.

    `used`: the model's inputs (the exporter drops observation keys the forward ignores,
    e.g. TSP's `visited`, which its action mask already holds); default all obs keys.
    """
    axes = dynamic_axes(net)
    used = list(net.obs_keys if used is None else used)

    def shape(name: str, dims: Sequence[int]) -> list[Any]:
        return [axes[name].get(i, int(d)) for i, d in enumerate(dims)]

    inputs = {
        k: {"dtype": _dtype_name(x), "shape": shape(k, x.shape)}
        for k, x in zip(net.obs_keys, example, strict=True)
        if k in used
    }
    return {
        "obs_keys": list(net.obs_keys),
        "input_order": [k for k in net.obs_keys if k in used],
        "inputs": inputs,
        "outputs": {
            "logits": {"dtype": "float32", "shape": ["batch", action_axis(net)]},
            "action": {"dtype": "int64", "shape": ["batch"]},
        },
    }


def metadata(
    net: GraphPolicyNet,
    example: Sequence[Tensor],
    meta: Mapping[str, Any] | None = None,
    used: Sequence[str] | None = None,
) -> dict[str, str]:
    """The model's ``metadata_props`` (`meta`: the checkpoint's training meta)."""
    return {
        "aerena_version": __version__,
        "problem": net.problem,
        "env_id": ENV_IDS.get(net.problem, ""),
        "net_class": f"{type(net).__module__}:{type(net).__qualname__}",
        "net_config": json.dumps(dict(net.config), default=str),
        "observation_layout": json.dumps(observation_layout(net, example, used)),
        "action_meaning": ACTION_MEANING.get(net.problem, "action index"),
        "training_meta": json.dumps(dict(meta or {}), default=str),
    }


def example_inputs(net: GraphPolicyNet, size: int = 12, seed: int = 0) -> tuple[Tensor, ...]:
    """Two real observations (batch 2) of a `size` instance: the export's trace inputs."""
    env = make_env(net.problem, size)
    first = env.reset(seed=seed)[0]
    mask = np.flatnonzero(first["action_mask"])
    second = env.step(int(mask[len(mask) // 2]))[0] if len(mask) else first
    return net.obs_tensors([first, second])

"""The contract every learned graph-problem policy follows, and its small checkpoint files.

A policy net (:class:`GraphPolicyNet`) reads the observation of its problem's Gymnasium
env (``aerena/<Problem>-v0``) -- the padded arrays named in ``obs_keys`` -- and returns
masked logits over the env's actions. The same forward serves every consumer:

* PPO through RLlib (:mod:`aerena.training.solvers.ppo` wraps the net in an RLModule);
* step-by-step inference on the env (:mod:`aerena.agents.solvers.envdecode`;
  :mod:`aerena.agents.solvers.solve` picks the shipped model and the decoding);
* ONNX export (positional tensor inputs in ``obs_keys`` order, ``dynamic_axes`` name the
  batch axis and the node / edge axes, so one model serves every graph size).

Routing nets also have a fast batched decoder (POMO training and multi-start inference,
:mod:`aerena.agents.solvers.routing`) that computes the same logits incrementally.

Checkpoints are one ``.pt`` file: ``{"format", "problem", "class", "config", "state_dict",
"meta"}`` written atomically (:func:`aerena.files.atomic_write`); `meta` records how the net
was trained (command, steps, time, validation objective). ``class`` must be one of
:data:`NETS`; files written before the nets moved here name ``aerena.graphs.learned.*``
modules, mapped by :data:`MOVED_MODULES`.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import Tensor, nn

from aerena.errors import UserError
from aerena.files import atomic_write

CHECKPOINT_FORMAT = "aerena-graph-policy/1"
MAX_CONFIG_INT = 65_536  # the largest size (dim, layers, heads, ...) a checkpoint may ask for

# problem -> "module:Class" of its default policy net (imported on demand)
NETS: dict[str, str] = {
    "tsp": "aerena.agents.solvers.routing:TSPAttentionNet",
    "cvrp": "aerena.agents.solvers.routing:CVRPAttentionNet",
    "mvc": "aerena.agents.solvers.node_gnn:MVCNet",
    "maxcut": "aerena.agents.solvers.node_gnn:MaxCutNet",
    "maxcover": "aerena.agents.solvers.node_gnn:MaxCoverNet",
    "wta": "aerena.agents.solvers.wta_net:WTANet",
    "im": "aerena.agents.solvers.node_gnn:IMNet",
}

# module paths that older checkpoints name (the nets lived in `aerena.graphs.learned` before
# issue 16) -> where the same classes live now; the one table a move of the nets updates
MOVED_MODULES: dict[str, str] = {
    "aerena.graphs.learned.routing": "aerena.agents.solvers.routing",
    "aerena.graphs.learned.node_gnn": "aerena.agents.solvers.node_gnn",
    "aerena.graphs.learned.wta_net": "aerena.agents.solvers.wta_net",
}


def current_spec(spec: str) -> str:
    """A checkpoint's ``"module:Class"`` with a moved module mapped to where it lives now."""
    mod, _, cls = str(spec).partition(":")
    return f"{MOVED_MODULES.get(mod, mod)}:{cls}"


class GraphPolicyNet(nn.Module):
    """Base class of the learned graph policies (see the module docstring).

    Subclasses set `problem`, `obs_keys` and `dynamic_axes`, build their layers from
    keyword arguments (kept in ``self.config`` so a checkpoint can rebuild the net), and
    implement `forward` (masked logits [B, A]) and `value` (state value [B], PPO's critic).
    """

    problem: ClassVar[str] = ""
    obs_keys: ClassVar[tuple[str, ...]] = ()
    # ONNX dynamic axes per observation key, e.g. {"coords": {0: "batch", 1: "nodes"}}
    dynamic_axes: ClassVar[dict[str, dict[int, str]]] = {}

    def __init__(self, **config: Any) -> None:
        super().__init__()
        self.config: dict[str, Any] = dict(config)

    def forward(self, *obs: Tensor) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def value(self, *obs: Tensor) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def obs_tensors(
        self, obs: Mapping[str, Any] | Sequence[Mapping[str, Any]], batched: bool = False
    ) -> tuple[Tensor, ...]:
        """Env observation(s) -> the forward's positional tensors, batch first.

        `obs` is one observation dict (made a batch of 1), a list of them (stacked), or with
        ``batched=True`` a dict of arrays/tensors that already have the batch axis.
        """
        if isinstance(obs, Mapping):
            if batched:
                return tuple(_as_tensor(obs[k]) for k in self.obs_keys)
            obs = [obs]
        return tuple(_as_tensor(np.stack([np.asarray(o[k]) for o in obs])) for k in self.obs_keys)


def _as_tensor(x: Any) -> Tensor:
    if isinstance(x, Tensor):
        return x
    a = np.asarray(x)
    if a.dtype == np.float64:
        a = a.astype(np.float32)
    return torch.from_numpy(np.ascontiguousarray(a))


def net_class(problem: str) -> type[GraphPolicyNet]:
    """The default policy net class of a problem."""
    try:
        spec = NETS[problem]
    except KeyError:
        raise UserError(
            f"no learned policy for problem {problem!r}; known: {sorted(NETS)}"
        ) from None
    mod, cls = spec.split(":")
    return getattr(importlib.import_module(mod), cls)


def build_net(problem: str, **config: Any) -> GraphPolicyNet:
    """A freshly initialised default net of `problem`."""
    return net_class(problem)(**config)


def save_checkpoint(
    net: GraphPolicyNet, path: str | Path, meta: dict[str, Any] | None = None
) -> Path:
    """Write the net (class, config, weights, `meta`) to `path` atomically."""
    path = Path(path)
    payload = {
        "format": CHECKPOINT_FORMAT,
        "problem": net.problem,
        "class": f"{type(net).__module__}:{type(net).__qualname__}",
        "config": dict(net.config),
        "state_dict": {k: v.detach().cpu().clone() for k, v in net.state_dict().items()},
        "meta": dict(meta or {}),
    }
    # torch.save into the temporary file of the one atomic writer (fsync, rename, old file
    # left in place on any failure)
    atomic_write(path, lambda fh: torch.save(payload, fh))
    return path


def load_checkpoint(path: str | Path) -> tuple[GraphPolicyNet, dict[str, Any]]:
    """(net in eval mode, meta) from a file written by :func:`save_checkpoint`."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such policy checkpoint")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many kinds; their text can quote the file
        reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise UserError(f"{path}: not a readable policy checkpoint ({reason})") from None
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise UserError(f"{path}: not an aerena graph-policy checkpoint ({CHECKPOINT_FORMAT})")
    spec = current_spec(str(payload.get("class")))
    if spec not in NETS.values():  # only the registered nets, never a class the file names
        raise UserError(f"{path}: the policy class is not one of aerena's registered nets")
    mod, cls = str(spec).split(":")
    config, weights = payload.get("config"), payload.get("state_dict")
    if not isinstance(config, dict) or not isinstance(weights, dict):
        raise UserError(f"{path}: the checkpoint lacks its net config or its weights")
    if any(isinstance(v, int) and not 0 <= v <= MAX_CONFIG_INT for v in config.values()):
        raise UserError(f"{path}: a net size in the config is outside [0, {MAX_CONFIG_INT}]")
    try:
        net = getattr(importlib.import_module(mod), cls)(**config)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise UserError(f"{path}: the net config does not build {cls} ({exc})") from None
    try:
        net.load_state_dict(weights)
    except RuntimeError as exc:
        raise UserError(f"{path}: weights do not fit {cls}: {exc}") from exc
    net.eval()
    return net, dict(payload.get("meta", {}))

"""The weights-only module format: a policy to share or deploy that holds no code.

An RLlib checkpoint is (cloud)pickles (see :mod:`aerena.training.trust`); this format is
not. A *weights folder* holds

* ``aerena_weights.json`` -- ``{"format": "aerena-weights/1", "roles": {role: spec}}``, each
  spec the module class (a name from :data:`MODULE_CLASSES`, nothing else is built), its
  ``model_config`` and its observation and action spaces (``Dict`` / ``Box`` / ``Discrete``
  in plain JSON);
* ``weights.pt`` -- role -> parameter name -> tensor, written by ``torch.save`` and read by
  ``torch.load(weights_only=True)`` (tensors and containers only; no object is built);
* ``config.yaml`` -- the experiment the modules were trained in (scenario, overrides,
  learning side, play options), as in a run folder, so ``evaluate`` / ``export`` take their
  defaults from it.

Training writes one as ``weights/`` inside every checkpoint, league snapshots are weights
folders, and ``aerena export CHECKPOINT --weights DIR`` writes one from any checkpoint
aerena may open. ``evaluate``, ``export``, league snapshots and ``opponent: checkpoint``
read it (:func:`aerena.training.evaluate.load_modules`) without the trust flag.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from aerena.errors import UserError

FORMAT = "aerena-weights/1"
SPEC_FILE = "aerena_weights.json"
TENSOR_FILE = "weights.pt"
EXPERIMENT_FILE = "config.yaml"
MAX_SPEC_BYTES = 4 * 2**20
MAX_TENSOR_BYTES = 2 * 2**30
MAX_SPACE_VALUES = 10**6  # bounds of one Box, before it is allocated
MAX_SPACE_DEPTH = 8
MAX_WIDTH = 4096  # dim, embed_dim, hidden, heads, layers of a module: checked before building


def module_classes() -> dict[str, type]:
    """The module classes a weights folder may name (imported on use: torch and RLlib)."""
    from aerena.agents.rl_module import EntityGNNModule

    return {"EntityGNNModule": EntityGNNModule}


def is_weights_folder(path: str | Path) -> bool:
    return (Path(path) / SPEC_FILE).is_file()


# --------------------------------------------------------------------------------------
# Spaces as plain JSON
# --------------------------------------------------------------------------------------
def _bound(a: np.ndarray) -> Any:
    flat = np.unique(a)
    value = flat[0].item() if len(flat) == 1 else a.tolist()
    return value


def space_to_json(space: Any) -> dict[str, Any]:
    import gymnasium as gym

    if isinstance(space, gym.spaces.Dict):
        return {"kind": "dict", "spaces": {k: space_to_json(v) for k, v in space.spaces.items()}}
    if isinstance(space, gym.spaces.Box):
        return {"kind": "box", "shape": list(space.shape), "dtype": str(space.dtype),
                "low": _bound(space.low), "high": _bound(space.high)}  # fmt: skip
    if isinstance(space, gym.spaces.Discrete):
        return {"kind": "discrete", "n": int(space.n), "start": int(space.start)}
    raise TypeError(f"space {space} has no weights-folder form")


def space_from_json(d: Any, depth: int = 0) -> Any:
    """A space from :func:`space_to_json`'s dict; sizes checked before anything is made."""
    import gymnasium as gym

    if depth > MAX_SPACE_DEPTH or not isinstance(d, dict):
        raise ValueError("not a space")
    kind = d.get("kind")
    if kind == "dict":
        return gym.spaces.Dict({str(k): space_from_json(v, depth + 1)
                                for k, v in dict(d["spaces"]).items()})  # fmt: skip
    if kind == "discrete":
        n, start = d["n"], d.get("start", 0)
        if not (isinstance(n, int) and 0 < n <= MAX_SPACE_VALUES and isinstance(start, int)):
            raise ValueError(f"a discrete space of {n!r} actions")
        return gym.spaces.Discrete(n, start=start)
    if kind == "box":
        shape = tuple(d["shape"])
        if not all(isinstance(x, int) and x >= 0 for x in shape):
            raise ValueError(f"a box of shape {shape!r}")
        if math.prod(shape) > MAX_SPACE_VALUES:
            raise ValueError(f"a box of {math.prod(shape):,} values (at most {MAX_SPACE_VALUES:,})")
        dtype = np.dtype(str(d["dtype"]))
        if dtype.kind not in "fiub":
            raise ValueError(f"a box of dtype {dtype}")
        low, high = (np.broadcast_to(np.asarray(d[k], dtype=np.float64), shape)
                     for k in ("low", "high"))  # fmt: skip
        return gym.spaces.Box(low.astype(dtype), high.astype(dtype), shape, dtype)
    raise ValueError(f"unknown space kind {kind!r}")


# --------------------------------------------------------------------------------------
# Writing and reading
# --------------------------------------------------------------------------------------
def save_weights(modules: dict[str, Any], folder: str | Path, experiment_yaml: str | None) -> Path:
    """Write role -> RLModule as a weights folder (a temp folder, then renamed)."""
    import torch

    folder = Path(folder)
    if folder.exists() and not is_weights_folder(folder):
        if not folder.is_dir() or any(folder.iterdir()):
            raise UserError(f"{folder}: exists and is not a weights folder (not replaced)")
    names = {cls: name for name, cls in module_classes().items()}
    roles, tensors = {}, {}
    for role, m in modules.items():
        if type(m) not in names:
            raise TypeError(f"module {role!r} ({type(m).__name__}) has no weights-folder form")
        roles[role] = {
            "module_class": names[type(m)],
            "model_config": dict(m.model_config or {}),
            "observation_space": space_to_json(m.observation_space),
            "action_space": space_to_json(m.action_space),
            "inference_only": bool(m.inference_only),
        }
        tensors[role] = {k: v.detach().cpu().clone() for k, v in m.state_dict().items()}
    tmp = folder.with_name(f".tmp-{folder.name}")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    doc = {"format": FORMAT, "roles": roles}
    (tmp / SPEC_FILE).write_text(json.dumps(doc, indent=1), encoding="utf-8")
    torch.save(tensors, tmp / TENSOR_FILE)
    if experiment_yaml is not None:
        (tmp / EXPERIMENT_FILE).write_text(experiment_yaml, encoding="utf-8")
    if folder.exists():
        shutil.rmtree(folder)
    os.replace(tmp, folder)
    return folder


def load_weights(folder: str | Path) -> dict[str, Any]:
    """role -> RLModule (eval mode) of a weights folder; no pickle is read, only the
    registered module classes are built, and a file that does not fit is refused."""
    import torch

    folder = Path(folder)
    spec_path, tensor_path = folder / SPEC_FILE, folder / TENSOR_FILE
    try:
        if spec_path.stat().st_size > MAX_SPEC_BYTES:
            raise ValueError(f"larger than {MAX_SPEC_BYTES // 2**20} MiB")
        doc = json.loads(spec_path.read_text(encoding="utf-8"))
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise ValueError(f"not the {FORMAT} format")
        roles = doc["roles"]
        if not isinstance(roles, dict) or not roles:
            raise ValueError("no roles")
    except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:
        raise UserError(f"{spec_path}: not a readable weights spec ({exc})") from None
    try:
        if tensor_path.stat().st_size > MAX_TENSOR_BYTES:
            raise ValueError(f"larger than {MAX_TENSOR_BYTES // 2**30} GiB")
        tensors = torch.load(tensor_path, weights_only=True, map_location="cpu")
        if not isinstance(tensors, dict):
            raise ValueError(f"a {type(tensors).__name__}, not role -> tensors")
    except Exception as exc:  # torch raises many kinds for a damaged or foreign file
        why = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise UserError(f"{tensor_path}: not readable module weights ({why})") from None
    classes = module_classes()
    out = {}
    for role, spec in roles.items():
        where = f"{spec_path}: role {role!r}"
        if not isinstance(spec, dict) or spec.get("module_class") not in classes:
            name = spec.get("module_class") if isinstance(spec, dict) else None
            raise UserError(
                f"{where}: module class {name!r} is not one of the registered "
                f"classes ({', '.join(classes)})"
            )
        config = spec.get("model_config") or {}
        if not isinstance(config, dict):
            raise UserError(f"{where}: model_config is not a mapping")
        sizes = {k: config.get(k) for k in ("dim", "embed_dim", "hidden", "heads", "layers")}
        for key, v in sizes.items():
            if v is not None and not (isinstance(v, int) and 1 <= v <= MAX_WIDTH):
                raise UserError(f"{where}: model_config.{key} = {v!r} is not a net size "
                                f"in [1, {MAX_WIDTH}]")  # fmt: skip
        try:
            module = classes[spec["module_class"]](
                observation_space=space_from_json(spec["observation_space"]),
                action_space=space_from_json(spec["action_space"]),
                model_config=dict(config),
                inference_only=bool(spec.get("inference_only", False)),
            )
            module.load_state_dict(tensors[role], strict=True)
        except UserError:
            raise
        except Exception as exc:  # a spec or weights that do not fit the module class
            raise UserError(f"{where}: the spec and weights do not fit ({exc})") from None
        module.eval()
        out[str(role)] = module
    return out

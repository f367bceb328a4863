"""torch-geometric views of the graph envs' observations (``env.to_pyg()``).

The envs' observations are padded arrays (what a batched policy and the ONNX export
read); ``to_pyg()`` gives the same state as a torch-geometric graph with the padding
removed, for GNN code written against PyG (``Batch.from_data_list`` batches them):

=========  ==============================================================================
problem    graph
=========  ==============================================================================
TSP        `Data`: ``x`` [n, 4] = (x, y, visited, current), ``pos`` [n, 2], complete
           directed graph without self loops, ``edge_attr`` [n(n-1), 1] scaled distance
CVRP       `Data`: ``x`` [n+1, 6] = (x, y, demand, visited, current, depot), ``pos``,
           complete graph, ``edge_attr`` distance, ``remaining`` [1]
MVC        `Data`: ``x`` = node_features [n, 3], ``selected`` [n], the graph's edges in
           both directions (``edge_index`` [2, 2m])
MaxCut     as MVC plus ``edge_attr`` [2m, 1] (weight / max |weight|)
MaxCover   `HeteroData`: node types ``set`` (``x`` = set_features) and ``item`` (``x`` =
           item_features), edge types ``(set, covers, item)`` and its reverse
           ``(item, covered_by, set)``; ``budget_left`` [1]
WTA        `HeteroData`: ``weapon`` (``x`` = (assigned, current)) and ``target`` (``x`` =
           (value, surviving)), edges ``(weapon, engages, target)`` for every pair with
           ``edge_attr`` = kill probability, and the reverse
IM         `Data`: as MVC with the directed arcs (``edge_index`` [2, m]), ``edge_attr``
           [m, 1] activation probability, ``budget_left`` [1]
=========  ==============================================================================

Every graph also carries ``action_mask`` (the env's, unpadded: n entries, plus the stop
action last for MaxCut and MaxCover). Importing this module does not import
torch_geometric; calling a converter does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np


def _t(a: np.ndarray, dtype: Any = None) -> Any:
    import torch

    t = torch.as_tensor(np.ascontiguousarray(a))
    return t if dtype is None else t.to(dtype)


def _complete(n: int) -> np.ndarray:
    """[2, n(n-1)] edges i -> j for every ordered pair i != j."""
    src, dst = np.nonzero(~np.eye(n, dtype=bool))
    return np.stack([src, dst]).astype(np.int64)


def _real_edges(obs: Mapping[str, np.ndarray]) -> np.ndarray:
    keep = np.asarray(obs["edge_mask"]) != 0
    return np.asarray(obs["edge_index"])[:, keep]


def routing(problem: str, obs: Mapping[str, np.ndarray]) -> Any:
    import torch
    from torch_geometric.data import Data

    n = int(np.asarray(obs["node_mask"]).sum())
    coords = np.asarray(obs["coords"])[:n]
    current = np.zeros(n, dtype=np.float32)
    current[int(np.asarray(obs["current"])[0])] = 1.0
    visited = np.asarray(obs["visited"])[:n].astype(np.float32)
    if problem == "tsp":
        x = np.column_stack([coords, visited, current])
    else:
        depot = np.zeros(n, dtype=np.float32)
        depot[0] = 1.0
        x = np.column_stack([coords, np.asarray(obs["demand"])[:n], visited, current, depot])
    ei = _complete(n)
    dist = np.linalg.norm(coords[ei[0]] - coords[ei[1]], axis=1, keepdims=True)
    data = Data(
        x=_t(x, torch.float32),
        pos=_t(coords, torch.float32),
        edge_index=_t(ei),
        edge_attr=_t(dist, torch.float32),
        action_mask=_t(np.asarray(obs["action_mask"])[:n] != 0),
    )
    if problem == "cvrp":
        data.remaining = _t(np.asarray(obs["remaining"]), torch.float32)
    return data


def node_graph(problem: str, obs: Mapping[str, np.ndarray]) -> Any:
    import torch
    from torch_geometric.data import Data

    n = int(np.asarray(obs["node_mask"]).sum())
    mask = np.asarray(obs["action_mask"]) != 0
    data = Data(
        x=_t(np.asarray(obs["node_features"])[:n], torch.float32),
        selected=_t(np.asarray(obs["selected"])[:n] != 0),
        edge_index=_t(_real_edges(obs)),
        action_mask=_t(np.concatenate([mask[:n], mask[-1:]]) if problem == "maxcut" else mask[:n]),
        num_nodes=n,
    )
    if problem in ("maxcut", "im"):  # signed weights / activation probabilities
        keep = np.asarray(obs["edge_mask"]) != 0
        data.edge_attr = _t(np.asarray(obs["edge_weight"])[keep][:, None], torch.float32)
    if problem == "im":
        data.budget_left = _t(np.asarray(obs["budget_left"]), torch.float32)
    return data


def maxcover(obs: Mapping[str, np.ndarray]) -> Any:
    import torch
    from torch_geometric.data import HeteroData

    s = int(np.asarray(obs["set_mask"]).sum())
    i = int(np.asarray(obs["item_mask"]).sum())
    ei = _real_edges(obs)
    mask = np.asarray(obs["action_mask"]) != 0
    data = HeteroData()
    data["set"].x = _t(np.asarray(obs["set_features"])[:s], torch.float32)
    data["item"].x = _t(np.asarray(obs["item_features"])[:i], torch.float32)
    data["set", "covers", "item"].edge_index = _t(ei)
    data["item", "covered_by", "set"].edge_index = _t(ei[::-1].copy())
    data.budget_left = _t(np.asarray(obs["budget_left"]), torch.float32)
    data.action_mask = _t(np.concatenate([mask[:s], mask[-1:]]))
    return data


def wta(obs: Mapping[str, np.ndarray]) -> Any:
    import torch
    from torch_geometric.data import HeteroData

    m = int(np.asarray(obs["weapon_mask"]).sum())
    t = int(np.asarray(obs["target_mask"]).sum())
    p = np.asarray(obs["kill_prob"])[:m, :t]
    assigned = np.asarray(obs["assigned"])[:m]
    current = np.zeros(m, dtype=np.float32)
    if m:
        current[int(np.asarray(obs["current"])[0])] = 1.0
    w_idx, t_idx = np.meshgrid(np.arange(m), np.arange(t), indexing="ij")
    ei = np.stack([w_idx.ravel(), t_idx.ravel()]).astype(np.int64)
    data = HeteroData()
    data["weapon"].x = _t(np.column_stack([assigned >= 0, current]), torch.float32)
    data["weapon"].assigned = _t(assigned)
    data["target"].x = _t(
        np.column_stack([np.asarray(obs["values"])[:t], np.asarray(obs["surviving"])[:t]]),
        torch.float32,
    )
    data["weapon", "engages", "target"].edge_index = _t(ei)
    data["weapon", "engages", "target"].edge_attr = _t(p.reshape(-1, 1), torch.float32)
    data["target", "engaged_by", "weapon"].edge_index = _t(ei[::-1].copy())
    data.action_mask = _t(np.asarray(obs["action_mask"])[:t] != 0)
    return data


def to_pyg(problem: str, obs: Mapping[str, np.ndarray]) -> Any:
    """The torch-geometric graph of one observation of `problem`'s env."""
    if problem in ("tsp", "cvrp"):
        return routing(problem, obs)
    if problem in ("mvc", "maxcut", "im"):
        return node_graph(problem, obs)
    if problem == "maxcover":
        return maxcover(obs)
    if problem == "wta":
        return wta(obs)
    raise ValueError(f"no torch-geometric view for problem {problem!r}")

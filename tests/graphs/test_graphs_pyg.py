"""`env.to_pyg()`: the observation as a torch-geometric graph, and torch-geometric twins of
the node-scoring GNNs that read it (a reference for the padded, batched forward)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

pyg = pytest.importorskip("torch_geometric")

import aerena  # noqa: E402, F401  (registers the envs)
from aerena.agents.solvers.node_gnn import MaxCutNet, MVCNet  # noqa: E402

ENVS = {
    "tsp": ("aerena/TSP-v0", {"num_nodes": 9}),
    "cvrp": ("aerena/CVRP-v0", {"num_nodes": 8}),
    "mvc": ("aerena/MVC-v0", {"num_nodes": 10, "generator_kwargs": {"p": 0.3}}),
    "maxcut": ("aerena/MaxCut-v0", {"num_nodes": 10, "generator_kwargs": {"p": 0.3}}),
    "maxcover": ("aerena/MaxCover-v0", {"num_sets": 6}),
    "wta": ("aerena/WTA-v0", {"num_weapons": 4, "num_targets": 3}),
    "im": ("aerena/IM-v0", {"num_nodes": 10, "rr_sets": 30, "generator_kwargs": {"m": 2}}),
}


def _play(env, steps: int, seed: int = 0):
    obs, _ = env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        legal = np.flatnonzero(obs["action_mask"])
        obs, _, done, _, _ = env.step(int(rng.choice(legal)))
        if done:
            break
    return obs


@pytest.mark.parametrize("problem", sorted(ENVS))
def test_to_pyg_matches_the_instance_and_the_padded_observation(problem):
    env_id, kw = ENVS[problem]
    env = gym.make(env_id, **kw).unwrapped
    obs = _play(env, 2)
    g = env.to_pyg()
    inst = env.instance
    mask = np.asarray(obs["action_mask"]) != 0
    if problem in ("tsp", "cvrp"):
        n = inst.dist.shape[0]
        assert g.num_nodes == n and g.edge_index.shape == (2, n * (n - 1))
        i, j = g.edge_index[:, 5].tolist()
        span = float((inst.coords.max(0) - inst.coords.min(0)).max())
        assert float(g.edge_attr[5, 0]) * span == pytest.approx(inst.dist[i, j], rel=1e-5)
        assert g.action_mask.tolist() == mask[:n].tolist()
        assert int(g.x[:, 3 if problem == "tsp" else 4].sum()) == 1  # one current node
    elif problem in ("mvc", "maxcut"):
        assert g.num_nodes == inst.n and g.edge_index.shape[1] == 2 * len(inst.graph.edges)
        got = {tuple(e) for e in g.edge_index.t().tolist()}
        assert got == {(int(u), int(v)) for u, v in inst.graph.edges} | {
            (int(v), int(u)) for u, v in inst.graph.edges
        }
        expect = np.concatenate([mask[: inst.n], mask[-1:]]) if problem == "maxcut" else mask
        assert g.action_mask.tolist() == expect[: len(g.action_mask)].tolist()
    elif problem == "im":
        assert g.num_nodes == inst.n and g.edge_index.shape[1] == inst.m
        assert {tuple(e) for e in g.edge_index.t().tolist()} == {
            (int(u), int(v)) for u, v in inst.arcs
        }
        np.testing.assert_allclose(g.edge_attr[:, 0].numpy(), inst.prob, rtol=1e-6)
        assert g.action_mask.tolist() == mask[: inst.n].tolist() and int(g.selected.sum()) == 2
    elif problem == "maxcover":
        assert g["set"].num_nodes == inst.n_sets and g["item"].num_nodes == inst.n_items
        e = g["set", "covers", "item"].edge_index
        assert torch.equal(g["item", "covered_by", "set"].edge_index, e.flip(0))
        assert g.action_mask.shape[0] == inst.n_sets + 1
    else:
        m, t = inst.kill_prob.shape
        assert g["weapon"].num_nodes == m and g["target"].num_nodes == t
        p = g["weapon", "engages", "target"].edge_attr.view(m, t).numpy()
        np.testing.assert_allclose(p, inst.kill_prob, rtol=1e-6)
        assert int((g["weapon"].assigned >= 0).sum()) == 2


@pytest.mark.parametrize("problem", ["tsp", "mvc"])
def test_padding_is_removed(problem):
    env_id, kw = ENVS[problem]
    small = gym.make(env_id, **kw).unwrapped
    big = gym.make(env_id, **kw, max_nodes=16).unwrapped
    _play(small, 3, seed=4)
    _play(big, 3, seed=4)
    a, b = small.to_pyg(), big.to_pyg()
    for key in ("x", "edge_index", "action_mask"):
        assert torch.equal(a[key], b[key]), key


class _PygNodeGNN(torch.nn.Module):
    """The node-scoring GNN (`MVCNet` / `MaxCutNet`) written on torch-geometric's sparse
    message passing over `Batch`es of `to_pyg()` graphs, sharing the dense net's weights."""

    def __init__(self, net) -> None:
        from torch_geometric.nn import MessagePassing

        super().__init__()
        self.net = net

        class Round(MessagePassing):
            def __init__(self) -> None:
                super().__init__(aggr="add")

            def forward(self, x, edge_index, w):  # noqa: ANN001
                return self.propagate(edge_index, x=x, w=w)

            def message(self, x_j, w):  # noqa: ANN001
                return w.unsqueeze(-1) * x_j

        self.round = Round()

    def forward(self, batch) -> torch.Tensor:  # noqa: ANN001
        from torch_geometric.nn import global_mean_pool
        from torch_geometric.utils import degree

        net = self.net
        n = batch.num_nodes
        legal = batch.action_mask.float()
        if net.stop_action:  # drop each graph's stop entry: keep the per-node part
            ptr = batch.ptr
            counts = ptr[1:] - ptr[:-1]
            node_part = torch.cat(
                [batch.action_mask[ptr[i] + i : ptr[i + 1] + i] for i in range(len(counts))]
            )
            legal = node_part.float()
        x = torch.cat([batch.x, batch.selected.float().unsqueeze(-1), legal.unsqueeze(-1)], -1)
        h = net.embed(x)
        w = (
            batch.edge_attr.view(-1)
            if getattr(batch, "edge_attr", None) is not None
            else torch.ones(batch.edge_index.shape[1])
        )
        deg = degree(batch.edge_index[1], n).clamp(min=1.0).unsqueeze(-1)
        for layer in net.mp:
            agg = self.round(layer.msg(h), batch.edge_index, w=w) / deg
            h = layer.norm(h + torch.relu(layer.self_(h) + layer.agg(agg)))
        g = global_mean_pool(h, batch.batch)
        return net.score(torch.cat([h, g[batch.batch]], -1)).squeeze(-1), g


@pytest.mark.parametrize("cls", [MVCNet, MaxCutNet])
def test_dense_net_equals_its_torch_geometric_twin(cls):
    from torch_geometric.data import Batch

    torch.manual_seed(0)
    net = cls(dim=16, layers=2).eval()
    env_id = "aerena/MVC-v0" if cls is MVCNet else "aerena/MaxCut-v0"
    obs_list, graphs = [], []
    for seed, n in enumerate((12, 16, 20)):
        env = gym.make(
            env_id, num_nodes=n, max_nodes=20, max_edges=120, generator_kwargs={"p": 0.3}
        ).unwrapped
        obs = _play(env, 2, seed=seed)
        obs_list.append(obs)
        graphs.append(env.to_pyg())
    with torch.no_grad():
        dense = net(*net.obs_tensors(obs_list))
        sparse, _ = _PygNodeGNN(net)(Batch.from_data_list(graphs))
    start = 0
    for k, (obs, g) in enumerate(zip(obs_list, graphs, strict=True)):
        n = g.num_nodes
        legal = np.flatnonzero(np.asarray(obs["action_mask"])[:n])
        row = dense[k]
        torch.testing.assert_close(row[legal], sparse[start + legal], atol=1e-5, rtol=1e-5)
        start += n

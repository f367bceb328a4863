"""Message-passing node scorers for MVC, MaxCut, IM and MaxCover (S2V-DQN / GCOMB style).

Each net reads its env's padded observation (``B`` envs, ``N`` node slots, ``E`` edge
slots) and returns masked logits over the env's actions:

=============  ===================================================  =================
net            reads (``obs_keys``, in forward's positional order)  logits
=============  ===================================================  =================
`MVCNet`       node_features [B,N,3], selected [B,N], node_mask     [B, N]
               [B,N], edge_index [B,2,2E], edge_mask [B,2E],
               action_mask [B,N]
`MaxCutNet`    node_features [B,N,3], selected, node_mask,          [B, N + 1] (last:
               edge_index [B,2,2E], edge_weight [B,2E], edge_mask,  stop)
               action_mask [B,N+1]
`IMNet`        as MaxCutNet (edge_index: the arcs, edge_weight:      [B, N]
               their probabilities), action_mask [B,N]
`MaxCoverNet`  set_features [B,S,3], item_features [B,I,2],         [B, S + 1] (last:
               set_mask, item_mask, edge_index [B,2,E] (row 0 set,  stop)
               row 1 item), edge_mask [B,E], budget_left [B,1],
               action_mask [B,S+1]
=============  ===================================================  =================

Model: node features -> Linear embedding (width `dim`) -> `layers` rounds of message
passing ``h_v <- LayerNorm(h_v + relu(A h_v + B mean_{u->v} w_uv (C h_u)))`` along the
edge list (gather the senders, `scatter_add` into the receivers, divide by the receiver's
degree; padded edges have weight 0 and padded nodes have no edges, so padding never changes
a real node). MaxCover alternates set -> item and item -> set messages on its bipartite
set-item graph. A graph embedding (masked mean of the real nodes) is concatenated to each
node before the per-node scoring MLP; the "stop" logit (MaxCut, MaxCover) is scored from
the graph embedding. The critic sums a per-node value MLP over the real nodes (returns
grow with the graph) and adds a bias read from the graph embedding.

Every op is plain torch (gather, scatter_add, Linear, LayerNorm, where), so the forward
exports to ONNX (opset 17) with dynamic batch, node and edge axes (``dynamic_axes``).
Config keys: ``dim`` (64), ``layers`` (3), ``hidden`` (scoring MLP width, 2 * dim).
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from aerena.agents.nn import mask_logits, masked_mean, masked_sum, mlp
from aerena.agents.solvers.base import GraphPolicyNet
from aerena.errors import UserError

__all__ = ["IMNet", "MVCNet", "MaxCoverNet", "MaxCutNet", "aggregate"]


# --------------------------------------------------------------------------------------
# Graph ops (ONNX-friendly)
# --------------------------------------------------------------------------------------
def aggregate(
    msg: Tensor, src: Tensor, dst: Tensor, w: Tensor, real: Tensor, n_dst: Tensor | int
) -> Tensor:
    """Degree-normalised sum of ``w_e * msg[src_e]`` into ``dst_e``.

    msg [B, Ns, D] sender features, src / dst [B, E] int64, w [B, E] edge weights (0 for
    padded edges), real [B, E] float 1/0 (the real edges), n_dst: the receiver count.
    Returns [B, Nd, D]; each receiver's sum is divided by its real degree (at least 1).
    """
    d = msg.shape[-1]
    gathered = torch.gather(msg, 1, src.unsqueeze(-1).expand(-1, -1, d)) * w.unsqueeze(-1)
    out = torch.zeros(msg.shape[0], n_dst, d, dtype=msg.dtype, device=msg.device)
    out = out.scatter_add(1, dst.unsqueeze(-1).expand(-1, -1, d), gathered)
    deg = torch.zeros(msg.shape[0], n_dst, dtype=msg.dtype, device=msg.device)
    deg = deg.scatter_add(1, dst, real)
    return out / deg.clamp(min=1.0).unsqueeze(-1)


class MPLayer(nn.Module):
    """One residual message-passing round: h_dst <- LN(h_dst + relu(A h_dst + B agg))."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.msg = nn.Linear(dim, dim)
        self.self_ = nn.Linear(dim, dim)
        self.agg = nn.Linear(dim, dim, bias=False)
        self.norm = nn.LayerNorm(dim)

    def forward(
        self, h_src: Tensor, h_dst: Tensor, src: Tensor, dst: Tensor, w: Tensor, real: Tensor
    ) -> Tensor:
        a = aggregate(self.msg(h_src), src, dst, w, real, h_dst.shape[1])
        return self.norm(h_dst + torch.relu(self.self_(h_dst) + self.agg(a)))


def _check_config(dim: int, layers: int, hidden: int) -> None:
    if dim < 1 or hidden < 1 or layers < 0:
        raise UserError(f"dim, hidden must be >= 1 and layers >= 0 (got {dim}, {hidden}, {layers})")


# --------------------------------------------------------------------------------------
# Homogeneous graphs: MVC and MaxCut
# --------------------------------------------------------------------------------------
class _NodeGNN(GraphPolicyNet):
    """Shared body of MVCNet / MaxCutNet: embed, message-pass, score nodes (+ stop)."""

    stop_action: ClassVar[bool] = False
    in_features: ClassVar[int] = 5  # node_features (3) + selected + action_mask

    def __init__(self, dim: int = 64, layers: int = 3, hidden: int | None = None, **extra: Any):
        if extra:
            raise UserError(f"{type(self).__name__}: unknown config keys {sorted(extra)}")
        hidden = int(hidden or 2 * dim)
        _check_config(int(dim), int(layers), hidden)
        super().__init__(dim=int(dim), layers=int(layers), hidden=hidden)
        self.embed = nn.Linear(self.in_features, dim)
        self.mp = nn.ModuleList(MPLayer(dim) for _ in range(layers))
        self.score = mlp(2 * dim, hidden, hidden, 1)
        self.node_value = mlp(2 * dim, hidden, hidden, 1)
        self.graph_value = mlp(dim, hidden, hidden, 1)
        if self.stop_action:
            self.stop = mlp(dim, hidden, hidden, 1)

    def _encode(
        self, feats: Tensor, selected: Tensor, node_mask: Tensor, edge_index: Tensor,
        edge_weight: Tensor, edge_mask: Tensor, action_mask: Tensor,
    ) -> tuple[Tensor, Tensor]:  # fmt: skip
        n = feats.shape[1]
        nm = (node_mask != 0).to(torch.float32)
        x = torch.cat(
            [
                feats.to(torch.float32),
                selected.to(torch.float32).unsqueeze(-1),
                (action_mask[:, :n] != 0).to(torch.float32).unsqueeze(-1),
            ],
            dim=-1,
        )
        h = self.embed(x) * nm.unsqueeze(-1)
        ei = edge_index.long()
        src, dst = ei[:, 0], ei[:, 1]
        real = (edge_mask != 0).to(torch.float32)
        w = edge_weight * real
        for layer in self.mp:
            h = layer(h, h, src, dst, w, real) * nm.unsqueeze(-1)
        return h, masked_mean(h, node_mask)

    def _logits(self, h: Tensor, g: Tensor, action_mask: Tensor) -> Tensor:
        hg = torch.cat([h, g.unsqueeze(1).expand(-1, h.shape[1], -1)], dim=-1)
        logits = self.score(hg).squeeze(-1)
        if self.stop_action:
            logits = torch.cat([logits, self.stop(g)], dim=-1)
        return mask_logits(logits, action_mask)

    def _value(self, h: Tensor, g: Tensor, node_mask: Tensor) -> Tensor:
        hg = torch.cat([h, g.unsqueeze(1).expand(-1, h.shape[1], -1)], dim=-1)
        per_node = self.node_value(hg).squeeze(-1)
        return masked_sum(per_node, node_mask) + self.graph_value(g).squeeze(-1)


class MVCNet(_NodeGNN):
    """Minimum vertex cover: one logit per node (see the module docstring)."""

    problem: ClassVar[str] = "mvc"
    obs_keys: ClassVar[tuple[str, ...]] = (
        "node_features", "selected", "node_mask", "edge_index", "edge_mask", "action_mask",
    )  # fmt: skip
    dynamic_axes: ClassVar[dict[str, dict[int, str]]] = {
        "node_features": {0: "batch", 1: "nodes"},
        "selected": {0: "batch", 1: "nodes"},
        "node_mask": {0: "batch", 1: "nodes"},
        "edge_index": {0: "batch", 2: "edges"},
        "edge_mask": {0: "batch", 1: "edges"},
        "action_mask": {0: "batch", 1: "nodes"},
    }

    def _enc(self, feats, selected, node_mask, edge_index, edge_mask, action_mask):
        w = (edge_mask != 0).to(torch.float32)
        return self._encode(feats, selected, node_mask, edge_index, w, edge_mask, action_mask)

    def forward(self, feats: Tensor, selected: Tensor, node_mask: Tensor, edge_index: Tensor,
                edge_mask: Tensor, action_mask: Tensor) -> Tensor:  # fmt: skip
        h, g = self._enc(feats, selected, node_mask, edge_index, edge_mask, action_mask)
        return self._logits(h, g, action_mask)

    def value(self, feats: Tensor, selected: Tensor, node_mask: Tensor, edge_index: Tensor,
              edge_mask: Tensor, action_mask: Tensor) -> Tensor:  # fmt: skip
        h, g = self._enc(feats, selected, node_mask, edge_index, edge_mask, action_mask)
        return self._value(h, g, node_mask)


class MaxCutNet(_NodeGNN):
    """Maximum cut: one logit per node plus a last "stop" logit (module docstring)."""

    problem: ClassVar[str] = "maxcut"
    stop_action: ClassVar[bool] = True
    obs_keys: ClassVar[tuple[str, ...]] = (
        "node_features", "selected", "node_mask", "edge_index", "edge_weight", "edge_mask",
        "action_mask",
    )  # fmt: skip
    dynamic_axes: ClassVar[dict[str, dict[int, str]]] = {
        "node_features": {0: "batch", 1: "nodes"},
        "selected": {0: "batch", 1: "nodes"},
        "node_mask": {0: "batch", 1: "nodes"},
        "edge_index": {0: "batch", 2: "edges"},
        "edge_weight": {0: "batch", 1: "edges"},
        "edge_mask": {0: "batch", 1: "edges"},
        "action_mask": {0: "batch", 1: "actions"},
    }

    def _enc(self, feats, selected, node_mask, edge_index, edge_weight, edge_mask, action_mask):
        # the signed edge weight scales each message
        w = edge_weight.to(torch.float32)
        return self._encode(feats, selected, node_mask, edge_index, w, edge_mask, action_mask)

    def forward(self, feats: Tensor, selected: Tensor, node_mask: Tensor, edge_index: Tensor,
                edge_weight: Tensor, edge_mask: Tensor, action_mask: Tensor) -> Tensor:  # fmt: skip
        h, g = self._enc(feats, selected, node_mask, edge_index, edge_weight, edge_mask,
                         action_mask)  # fmt: skip
        return self._logits(h, g, action_mask)

    def value(self, feats: Tensor, selected: Tensor, node_mask: Tensor, edge_index: Tensor,
              edge_weight: Tensor, edge_mask: Tensor, action_mask: Tensor) -> Tensor:  # fmt: skip
        h, g = self._enc(feats, selected, node_mask, edge_index, edge_weight, edge_mask,
                         action_mask)  # fmt: skip
        return self._value(h, g, node_mask)


class IMNet(_NodeGNN):
    """Influence maximisation: one logit per node (module docstring). Messages run
    against the arcs, from each head to its tail weighted by the arc's probability: a
    node's influence is what its out-neighbours reach."""

    problem: ClassVar[str] = "im"
    obs_keys: ClassVar[tuple[str, ...]] = (
        "node_features", "selected", "node_mask", "edge_index", "edge_weight", "edge_mask",
        "action_mask",
    )  # fmt: skip
    dynamic_axes: ClassVar[dict[str, dict[int, str]]] = MaxCutNet.dynamic_axes

    def _enc(self, feats, selected, node_mask, edge_index, edge_weight, edge_mask, action_mask):
        rev = torch.stack([edge_index[:, 1], edge_index[:, 0]], dim=1)
        w = edge_weight.to(torch.float32)
        return self._encode(feats, selected, node_mask, rev, w, edge_mask, action_mask)

    def forward(self, feats: Tensor, selected: Tensor, node_mask: Tensor, edge_index: Tensor,
                edge_weight: Tensor, edge_mask: Tensor, action_mask: Tensor) -> Tensor:  # fmt: skip
        h, g = self._enc(feats, selected, node_mask, edge_index, edge_weight, edge_mask,
                         action_mask)  # fmt: skip
        return self._logits(h, g, action_mask)

    def value(self, feats: Tensor, selected: Tensor, node_mask: Tensor, edge_index: Tensor,
              edge_weight: Tensor, edge_mask: Tensor, action_mask: Tensor) -> Tensor:  # fmt: skip
        h, g = self._enc(feats, selected, node_mask, edge_index, edge_weight, edge_mask,
                         action_mask)  # fmt: skip
        return self._value(h, g, node_mask)


# --------------------------------------------------------------------------------------
# Bipartite set-item graph: MaxCover
# --------------------------------------------------------------------------------------
class MaxCoverNet(GraphPolicyNet):
    """Budgeted max coverage: one logit per set plus a last "stop" logit (module docstring)."""

    problem: ClassVar[str] = "maxcover"
    obs_keys: ClassVar[tuple[str, ...]] = (
        "set_features", "item_features", "set_mask", "item_mask", "edge_index", "edge_mask",
        "budget_left", "action_mask",
    )  # fmt: skip
    dynamic_axes: ClassVar[dict[str, dict[int, str]]] = {
        "set_features": {0: "batch", 1: "sets"},
        "item_features": {0: "batch", 1: "items"},
        "set_mask": {0: "batch", 1: "sets"},
        "item_mask": {0: "batch", 1: "items"},
        "edge_index": {0: "batch", 2: "edges"},
        "edge_mask": {0: "batch", 1: "edges"},
        "budget_left": {0: "batch"},
        "action_mask": {0: "batch", 1: "actions"},
    }

    def __init__(self, dim: int = 64, layers: int = 3, hidden: int | None = None, **extra: Any):
        if extra:
            raise UserError(f"MaxCoverNet: unknown config keys {sorted(extra)}")
        hidden = int(hidden or 2 * dim)
        _check_config(int(dim), int(layers), hidden)
        super().__init__(dim=int(dim), layers=int(layers), hidden=hidden)
        # set: set_features (3) + budget_left + affordable&useful (action mask)
        self.embed_set = nn.Linear(5, dim)
        self.embed_item = nn.Linear(2, dim)
        self.to_item = nn.ModuleList(MPLayer(dim) for _ in range(layers))
        self.to_set = nn.ModuleList(MPLayer(dim) for _ in range(layers))
        self.score = mlp(3 * dim + 1, hidden, hidden, 1)
        self.stop = mlp(2 * dim + 1, hidden, hidden, 1)
        self.set_value = mlp(3 * dim + 1, hidden, hidden, 1)
        self.graph_value = mlp(2 * dim + 1, hidden, hidden, 1)

    def _encode(self, set_f, item_f, set_mask, item_mask, edge_index, edge_mask, budget_left,
                action_mask):  # fmt: skip
        s_n = set_f.shape[1]
        sm = (set_mask != 0).to(torch.float32).unsqueeze(-1)
        im = (item_mask != 0).to(torch.float32).unsqueeze(-1)
        b = budget_left.to(torch.float32)
        xs = torch.cat(
            [
                set_f.to(torch.float32),
                b.unsqueeze(1).expand(-1, s_n, -1),
                (action_mask[:, :s_n] != 0).to(torch.float32).unsqueeze(-1),
            ],
            dim=-1,
        )
        hs = self.embed_set(xs) * sm
        hi = self.embed_item(item_f.to(torch.float32)) * im
        ei = edge_index.long()
        sets, items = ei[:, 0], ei[:, 1]
        w = (edge_mask != 0).to(torch.float32)
        for up_item, up_set in zip(self.to_item, self.to_set, strict=True):
            hi = up_item(hs, hi, sets, items, w, w) * im
            hs = up_set(hi, hs, items, sets, w, w) * sm
        g = torch.cat([masked_mean(hs, set_mask), masked_mean(hi, item_mask), b], dim=-1)
        hg = torch.cat([hs, g.unsqueeze(1).expand(-1, s_n, -1)], dim=-1)
        return hg, g

    def forward(self, set_f: Tensor, item_f: Tensor, set_mask: Tensor, item_mask: Tensor,
                edge_index: Tensor, edge_mask: Tensor, budget_left: Tensor,
                action_mask: Tensor) -> Tensor:  # fmt: skip
        hg, g = self._encode(set_f, item_f, set_mask, item_mask, edge_index, edge_mask,
                             budget_left, action_mask)  # fmt: skip
        logits = torch.cat([self.score(hg).squeeze(-1), self.stop(g)], dim=-1)
        return mask_logits(logits, action_mask)

    def value(self, set_f: Tensor, item_f: Tensor, set_mask: Tensor, item_mask: Tensor,
              edge_index: Tensor, edge_mask: Tensor, budget_left: Tensor,
              action_mask: Tensor) -> Tensor:  # fmt: skip
        hg, g = self._encode(set_f, item_f, set_mask, item_mask, edge_index, edge_mask,
                             budget_left, action_mask)  # fmt: skip
        per_set = self.set_value(hg).squeeze(-1)
        return masked_sum(per_set, set_mask) + self.graph_value(g).squeeze(-1)

"""Permutation-invariant entity encoders for the air-defence observations.

An agent's observation is a small graph: the agent itself (`self`, [S] features) and the
entities it sees (`entities`, [K, F], nearest first, zero padded; `entity_mask` [K] marks
the filled slots). Both encoders here treat the agent and its visible entities as the
nodes of a complete graph (self loops included) and run attention message passing over it:

* :class:`EntityEncoder` -- the dense form used for training and inference. Plain torch
  ops over the padded arrays (`Linear`, `matmul`, `softmax`, `where`, `LayerNorm`): no
  scatter or sparse ops, so it exports to ONNX and batches without index bookkeeping.
  Padding slots are neither keys nor values of any attention and are left out of the
  pooling, so they have no influence on any output.
* :class:`PygEntityEncoder` -- the same computation on a `torch_geometric.data.Batch`
  (see :func:`to_pyg_batch`) with `torch_geometric.nn.TransformerConv` layers. It holds
  parameters with the same names, so `pyg.load_state_dict(dense.state_dict())` gives the
  same function; the tests use it as the reference for the dense attention. Importing this
  module does not import torch_geometric: only building a PyG encoder or batch does.

One layer (``L`` of them, `layers`) is::

    h = TransformerConv(x)       # multi-head dot-product attention over valid nodes,
                                 # concatenated heads, plus a learned skip W_s x
    x = LayerNorm(x + h)
    x = LayerNorm(x + FFN(x))    # FFN: Linear(D, 2D) - ReLU - Linear(2D, D)

(an :class:`aerena.agents.nn.TransformerBlock` around the conv).

The embedding is ``MLP([self node, masked mean of the entity nodes, visible / K])``.
Outputs: `embedding` [B, E] (invariant under permutations of the entity slots) and
`nodes` [B, K, D] (the entity nodes, permuted with the slots; zeros in padding slots),
which pointer-style heads (the launcher's "engage slot k") score per slot.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from aerena.agents.nn import TransformerBlock, attention, mlp, split_heads


class Encoded(NamedTuple):
    """Encoder output: the pooled embedding and the per-slot entity node features."""

    embedding: Tensor  # [B, E]
    nodes: Tensor  # [B, K, D], zero in padding slots


class DenseTransformerConv(nn.Module):
    """`TransformerConv(in_dim, out_dim // heads, heads)` on complete graphs, dense form.

    For each valid node i of each sample (queries), with j over the valid nodes::

        alpha_ij = softmax_j(<W_q x_i, W_k x_j>_h / sqrt(C))     per head h, C = out_dim / heads
        out_i    = concat_h(sum_j alpha_ij W_v x_j) + W_s x_i

    (:func:`aerena.agents.nn.attention`). Parameter names match torch_geometric's
    `TransformerConv` (concat=True, root_weight=True, beta=False, no edge features, no
    dropout).
    """

    def __init__(self, in_dim: int, out_dim: int, heads: int) -> None:
        super().__init__()
        if out_dim % heads:
            raise ValueError(f"out_dim {out_dim} must be divisible by heads {heads}")
        self.heads = heads
        self.channels = out_dim // heads
        self.lin_key = nn.Linear(in_dim, out_dim)
        self.lin_query = nn.Linear(in_dim, out_dim)
        self.lin_value = nn.Linear(in_dim, out_dim)
        self.lin_skip = nn.Linear(in_dim, out_dim)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        """x [B, N, in_dim], mask [B, N] bool (True: a valid node) -> [B, N, out_dim]."""
        H = self.heads
        # one matmul for the four projections (the parameters stay four Linear layers)
        lins = (self.lin_query, self.lin_key, self.lin_value, self.lin_skip)
        w = torch.cat([lin.weight for lin in lins])
        b = torch.cat([lin.bias for lin in lins])
        q, k, v, skip = F.linear(x, w, b).chunk(4, dim=-1)
        # every row has a valid key (the agent's own node), so padding keys weigh exactly 0
        keep = mask.unsqueeze(1)
        o = attention(split_heads(q, H), split_heads(k, H), split_heads(v, H), keep,
                      channels=self.channels)  # fmt: skip
        return o + skip


def _block(conv: nn.Module, dim: int) -> TransformerBlock:
    """One message-passing layer: attention conv, residual + LayerNorm, FFN + LayerNorm."""
    return TransformerBlock(conv, dim, 2 * dim)


class _EncoderBase(nn.Module):
    """Input projections, the pooling MLP and sizes shared by both encoders."""

    def __init__(
        self, self_dim: int, entity_dim: int, k: int, dim: int, embed_dim: int, layers: int
    ) -> None:
        super().__init__()
        if layers < 1:
            raise ValueError(f"layers must be >= 1, got {layers}")
        self.self_dim, self.entity_dim, self.k = self_dim, entity_dim, k
        self.dim, self.embed_dim = dim, embed_dim
        self.self_in = nn.Linear(self_dim, dim)
        self.ent_in = nn.Linear(entity_dim, dim)
        self.pool = mlp(2 * dim + 1, embed_dim, embed_dim)

    def _pool(self, self_node: Tensor, ent_sum: Tensor, count: Tensor) -> Tensor:
        """self_node [B, D], ent_sum [B, D] (sum over valid entities), count [B] float."""
        mean = ent_sum / count.clamp(min=1.0)[:, None]
        frac = (count / float(max(self.k, 1)))[:, None]
        return self.pool(torch.cat([self_node, mean, frac], dim=-1))


class EntityEncoder(_EncoderBase):
    """Dense attention encoder over (self, entities) -- see the module docstring.

    Args:
        self_dim: S, features of the agent itself.
        entity_dim: F, features per entity.
        k: K, entity slots (used for the visible-fraction feature only; any K works).
        dim: node width D (a multiple of `heads`).
        embed_dim: E, the pooled embedding width.
        heads: attention heads.
        layers: message-passing layers.
    """

    def __init__(
        self,
        self_dim: int,
        entity_dim: int,
        k: int,
        *,
        dim: int = 64,
        embed_dim: int = 64,
        heads: int = 4,
        layers: int = 2,
    ) -> None:
        super().__init__(self_dim, entity_dim, k, dim, embed_dim, layers)
        self.layers = nn.ModuleList(
            [_block(DenseTransformerConv(dim, dim, heads), dim) for _ in range(layers)]
        )

    def forward(self, obs_self: Tensor, entities: Tensor, entity_mask: Tensor) -> Encoded:
        """obs_self [B, S], entities [B, K, F], entity_mask [B, K] (any dtype; nonzero = valid)."""
        m = entity_mask != 0  # [B, K]
        keep = m.to(entities.dtype)[..., None]  # [B, K, 1] 1.0 / 0.0
        # padding may hold anything, non-finite values included: select, do not multiply
        ent = torch.where(m[..., None], entities, torch.zeros_like(entities))
        x = torch.cat([self.self_in(obs_self)[:, None, :], self.ent_in(ent)], dim=1)
        node_mask = torch.cat([torch.ones_like(m[:, :1]), m], dim=1)  # [B, 1 + K]
        for block in self.layers:
            x = block(x, node_mask)
        nodes = x[:, 1:] * keep  # padding nodes are finite here (their input was zeroed)
        count = keep[..., 0].sum(dim=1)
        emb = self._pool(x[:, 0], nodes.sum(dim=1), count)
        return Encoded(emb, nodes)


# --------------------------------------------------------------------------------------
# The torch-geometric path
# --------------------------------------------------------------------------------------
def to_pyg_batch(obs_self: Tensor, entities: Tensor, entity_mask: Tensor) -> Any:
    """Padded observations -> a `torch_geometric.data.Batch` of complete graphs.

    Graph b has ``1 + n_b`` nodes (n_b = filled entity slots): node 0 is the agent, then its
    entities in slot order. Node features `x` are ``[S + F]``: the agent's row holds its
    `self` features then zeros, an entity's row zeros then its features. Attributes:
    `is_self` [nodes] bool, `slot` [nodes] long (entity slot, -1 for the agent),
    `edge_index` the complete directed graph with self loops, `num_slots` = K.
    """
    from torch_geometric.data import Batch, Data

    B, K, F = entities.shape
    S = obs_self.shape[1]
    graphs = []
    for b in range(B):
        slots = torch.nonzero(entity_mask[b] != 0, as_tuple=False).flatten()
        n = 1 + len(slots)
        x = torch.zeros(n, S + F, dtype=obs_self.dtype)
        x[0, :S] = obs_self[b]
        x[1:, S:] = entities[b, slots]
        idx = torch.arange(n)
        src = idx.repeat_interleave(n)  # j -> i for every ordered pair, self loops included
        dst = idx.repeat(n)
        is_self = torch.zeros(n, dtype=torch.bool)
        is_self[0] = True
        slot = torch.cat([torch.tensor([-1]), slots])
        graphs.append(
            Data(x=x, edge_index=torch.stack([src, dst]), is_self=is_self, slot=slot, num_nodes=n)
        )
    batch = Batch.from_data_list(graphs)
    batch.num_slots = K
    return batch


class PygEntityEncoder(_EncoderBase):
    """The encoder of :class:`EntityEncoder` built from `torch_geometric.nn.TransformerConv`.

    Same constructor and parameter names as :class:`EntityEncoder`; `forward` takes a
    batch from :func:`to_pyg_batch` and returns the same :class:`Encoded` (dense `nodes`).
    """

    def __init__(
        self,
        self_dim: int,
        entity_dim: int,
        k: int,
        *,
        dim: int = 64,
        embed_dim: int = 64,
        heads: int = 4,
        layers: int = 2,
    ) -> None:
        from torch_geometric.nn import TransformerConv

        super().__init__(self_dim, entity_dim, k, dim, embed_dim, layers)
        if dim % heads:
            raise ValueError(f"dim {dim} must be divisible by heads {heads}")
        self.layers = nn.ModuleList(
            [_block(TransformerConv(dim, dim // heads, heads=heads), dim) for _ in range(layers)]
        )

    def forward(self, batch: Any) -> Encoded:
        from torch_geometric.utils import scatter

        S = self.self_dim
        x_raw, is_self = batch.x, batch.is_self
        x = torch.where(is_self[:, None], self.self_in(x_raw[:, :S]), self.ent_in(x_raw[:, S:]))
        for block in self.layers:
            x = block(x, batch.edge_index)
        B = int(batch.num_graphs)
        ent = ~is_self
        ent_sum = scatter(x[ent], batch.batch[ent], dim=0, dim_size=B, reduce="sum")
        count = scatter(
            torch.ones_like(batch.batch[ent], dtype=x.dtype),
            batch.batch[ent],
            dim=0,
            dim_size=B,
            reduce="sum",
        )
        emb = self._pool(x[is_self], ent_sum, count)
        nodes = x.new_zeros(B, int(batch.num_slots), self.dim)
        nodes[batch.batch[ent], batch.slot[ent]] = x[ent]
        return Encoded(emb, nodes)

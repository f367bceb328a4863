"""Attention encoder-decoder (pointer) policies for TSP and CVRP, and their batched decoder.

The model is the attention model of Kool et al. (2019) as POMO (Kwon et al., 2020) uses
it, with LayerNorm in place of batch/instance norm (padding-invariant, exports to ONNX)::

    encoder   h = L x [x = LN(x + MHA(x, x)); x = LN(x + FFN(x))] over the real nodes
              (TSP: Linear(xy); CVRP: depot Linear(xy), customers Linear(xy, demand))
    context   TSP:  q = W_c [h_first, h_current] + W_g mean(h)
              CVRP: q = W_c [h_current, remaining capacity] + W_g mean(h)
    glimpse   q' = W_o MHA(q, h) over the legal next nodes
    pointer   logit_j = C tanh(<q', W_k h_j> / sqrt(D)),  C = 10; illegal -> finfo.min

The encoder layers are :class:`aerena.agents.nn.TransformerBlock` around a
:class:`~aerena.agents.nn.MultiHeadAttention` (q, k, v without bias), as is the glimpse.

Two ways to run the same function:

* ``net(*obs)`` -- one decision from the env's observation (`aerena/TSP-v0`,
  `aerena/CVRP-v0`; keys in ``obs_keys``): the encoder runs on every call. This is what PPO,
  step-by-step inference and the ONNX export use (dynamic batch and node axes).
* :func:`rollout` -- whole solutions for a batch of instances and P parallel rollouts per
  instance (POMO's multi-start, sampling or greedy): the encoder runs once and the
  decoder reuses the projected keys. Greedy rollout from the env's start state gives the
  same tour as stepping the env with ``net`` greedily (tested).

Coordinates are the env's: shifted and scaled into the unit square (`scaled_coords`).
The TSP env's tour starts at node 0; a multi-start rollout starts at node p instead and
the tour is rotated to start at 0 afterwards.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from aerena.agents.nn import MultiHeadAttention, TransformerBlock, mask_logits, masked_mean, mlp
from aerena.agents.solvers.base import GraphPolicyNet

TANH_CLIP = 10.0


class Cache(NamedTuple):
    """Per-instance tensors the decoder reuses at every step."""

    h: Tensor  # [B, N, D] node embeddings
    graph: Tensor  # [B, D] W_g mean(h) over real nodes
    gk: Tensor  # [B, H, N, C] glimpse keys
    gv: Tensor  # [B, H, N, C] glimpse values
    lk: Tensor  # [B, N, D] pointer keys


class _RoutingNet(GraphPolicyNet):
    """Shared encoder/decoder; subclasses define the node features and the context."""

    context_extra = 0  # context features beyond the node embeddings

    def __init__(self, dim: int = 128, heads: int = 8, layers: int = 3, ff: int = 512) -> None:
        super().__init__(dim=dim, heads=heads, layers=layers, ff=ff)
        self.dim, self.heads = dim, heads
        self.layers = nn.ModuleList(
            TransformerBlock(MultiHeadAttention(dim, heads, qkv_bias=False), dim, ff)
            for _ in range(layers)
        )
        self.w_graph = nn.Linear(dim, dim, bias=False)
        self.w_ctx = nn.Linear(
            2 * dim if self.context_extra == 0 else dim + self.context_extra, dim, bias=False
        )
        self.glimpse = MultiHeadAttention(dim, heads, qkv_bias=False)
        self.w_lk = nn.Linear(dim, dim, bias=False)
        self.critic = mlp(2 * dim, dim, 1)

    # -- encoder ------------------------------------------------------------------------
    def embed(self, coords: Tensor, demand: Tensor | None) -> Tensor:  # pragma: no cover
        raise NotImplementedError

    def encode(self, coords: Tensor, node_mask: Tensor, demand: Tensor | None = None) -> Cache:
        real = node_mask != 0  # [B, N]
        x = self.embed(coords, demand)
        key_mask = real.unsqueeze(1)  # [B, 1, N]
        for layer in self.layers:
            x = layer(x, key_mask)
        x = x * real.unsqueeze(-1).to(x.dtype)
        graph = self.w_graph(masked_mean(x, real))
        g = self.glimpse
        return Cache(x, graph, g.split(g.k(x)), g.split(g.v(x)), self.w_lk(x))

    # -- decoder ------------------------------------------------------------------------
    def step_logits(self, cache: Cache, context: Tensor, legal: Tensor) -> Tensor:
        """context [B, P, Dc], legal [B, P, N] bool -> masked logits [B, P, N]."""
        q = self.w_ctx(context) + cache.graph.unsqueeze(1)
        g = self.glimpse
        q = g.attend(g.split(g.q(q)), cache.gk, cache.gv, legal)
        logits = q @ cache.lk.transpose(1, 2) / math.sqrt(self.dim)
        logits = TANH_CLIP * torch.tanh(logits)
        b, p, n = logits.shape
        return mask_logits(logits.reshape(b * p, n), legal.reshape(b * p, n)).reshape(b, p, n)

    @staticmethod
    def gather_nodes(h: Tensor, idx: Tensor) -> Tensor:
        """h [B, N, D], idx [B, P] -> [B, P, D]."""
        return torch.gather(h, 1, idx.unsqueeze(-1).expand(-1, -1, h.shape[-1]))

    def _value(self, cache: Cache, context_nodes: Tensor) -> Tensor:
        return self.critic(torch.cat([cache.graph, context_nodes], -1)).squeeze(-1)


class TSPAttentionNet(_RoutingNet):
    """Pointer policy for `aerena/TSP-v0` (see the module docstring)."""

    problem = "tsp"
    obs_keys = ("coords", "node_mask", "visited", "current", "action_mask")
    dynamic_axes = {
        "coords": {0: "batch", 1: "nodes"},
        "node_mask": {0: "batch", 1: "nodes"},
        "visited": {0: "batch", 1: "nodes"},
        "current": {0: "batch"},
        "action_mask": {0: "batch", 1: "nodes"},
    }

    def __init__(self, dim: int = 128, heads: int = 8, layers: int = 3, ff: int = 512) -> None:
        super().__init__(dim, heads, layers, ff)
        self.w_in = nn.Linear(2, dim)

    def embed(self, coords: Tensor, demand: Tensor | None) -> Tensor:
        return self.w_in(coords)

    def _context(self, cache: Cache, first: Tensor, current: Tensor) -> Tensor:
        return torch.cat(
            [self.gather_nodes(cache.h, first), self.gather_nodes(cache.h, current)], -1
        )

    def forward(
        self,
        coords: Tensor,
        node_mask: Tensor,
        visited: Tensor,
        current: Tensor,
        action_mask: Tensor,
    ) -> Tensor:
        cache = self.encode(coords, node_mask)
        first = torch.zeros_like(current)  # the env's tour starts at node 0
        ctx = self._context(cache, first, current)
        return self.step_logits(cache, ctx, (action_mask != 0).unsqueeze(1)).squeeze(1)

    def value(
        self,
        coords: Tensor,
        node_mask: Tensor,
        visited: Tensor,
        current: Tensor,
        action_mask: Tensor,
    ) -> Tensor:
        cache = self.encode(coords, node_mask)
        return self._value(cache, self.gather_nodes(cache.h, current).squeeze(1))


class CVRPAttentionNet(_RoutingNet):
    """Pointer policy for `aerena/CVRP-v0` (node 0 the depot; see the module docstring)."""

    problem = "cvrp"
    obs_keys = ("coords", "demand", "node_mask", "visited", "current", "remaining", "action_mask")
    dynamic_axes = {
        "coords": {0: "batch", 1: "nodes"},
        "demand": {0: "batch", 1: "nodes"},
        "node_mask": {0: "batch", 1: "nodes"},
        "visited": {0: "batch", 1: "nodes"},
        "current": {0: "batch"},
        "remaining": {0: "batch"},
        "action_mask": {0: "batch", 1: "nodes"},
    }
    context_extra = 1

    def __init__(self, dim: int = 128, heads: int = 8, layers: int = 3, ff: int = 512) -> None:
        super().__init__(dim, heads, layers, ff)
        self.w_depot = nn.Linear(2, dim)
        self.w_in = nn.Linear(3, dim)

    def embed(self, coords: Tensor, demand: Tensor | None) -> Tensor:
        assert demand is not None
        cust = self.w_in(torch.cat([coords, demand.unsqueeze(-1)], -1))
        depot = self.w_depot(coords[:, :1])
        return torch.cat([depot, cust[:, 1:]], 1)

    def _context(self, cache: Cache, current: Tensor, remaining: Tensor) -> Tensor:
        """current [B, P] int, remaining [B, P] float -> [B, P, D + 1]."""
        return torch.cat([self.gather_nodes(cache.h, current), remaining.unsqueeze(-1)], -1)

    def forward(
        self,
        coords: Tensor,
        demand: Tensor,
        node_mask: Tensor,
        visited: Tensor,
        current: Tensor,
        remaining: Tensor,
        action_mask: Tensor,
    ) -> Tensor:
        cache = self.encode(coords, node_mask, demand)
        ctx = self._context(cache, current, remaining)
        return self.step_logits(cache, ctx, (action_mask != 0).unsqueeze(1)).squeeze(1)

    def value(
        self,
        coords: Tensor,
        demand: Tensor,
        node_mask: Tensor,
        visited: Tensor,
        current: Tensor,
        remaining: Tensor,
        action_mask: Tensor,
    ) -> Tensor:
        cache = self.encode(coords, node_mask, demand)
        return self._value(cache, self.gather_nodes(cache.h, current).squeeze(1))


# --------------------------------------------------------------------------- rollouts


class Rollout(NamedTuple):
    """Solutions of a batched rollout: P per instance."""

    actions: Tensor  # [B, P, T] int64 node chosen at each step (T steps; CVRP pads with 0)
    log_prob: Tensor  # [B, P] sum of the log-probabilities of the chosen actions
    length: Tensor  # [B, P] tour / total route length in the (scaled) coordinates


def _choose(
    logits: Tensor, sample: bool, generator: torch.Generator | None
) -> tuple[Tensor, Tensor]:
    """logits [B, P, N] -> (action [B, P], its log-probability [B, P])."""
    logp = F.log_softmax(logits, dim=-1)
    if sample:
        b, p, n = logits.shape
        a = torch.multinomial(logp.exp().reshape(b * p, n), 1, generator=generator).reshape(b, p)
    else:
        a = logits.argmax(-1)
    return a, torch.gather(logp, 2, a.unsqueeze(-1)).squeeze(-1)


def _dist(coords: Tensor, a: Tensor, b: Tensor) -> Tensor:
    """coords [B, N, 2], a/b [B, P] -> Euclidean distances [B, P]."""
    idx = lambda i: i.unsqueeze(-1).expand(-1, -1, 2)  # noqa: E731
    return (torch.gather(coords, 1, idx(a)) - torch.gather(coords, 1, idx(b))).norm(dim=-1)


def rollout_tsp(
    net: TSPAttentionNet,
    coords: Tensor,
    starts: Tensor,
    *,
    sample: bool,
    node_mask: Tensor | None = None,
    generator: torch.Generator | None = None,
) -> Rollout:
    """P tours per instance, tour p starting at ``starts[:, p]``.

    coords [B, N, 2] float32 (unit square), starts [B, P] int64. All N nodes must be real
    unless `node_mask` marks padding (then every instance must have the same real count).
    Returns actions [B, P, N] (the whole tour, starting node first).
    """
    b, n, _ = coords.shape
    if node_mask is None:
        node_mask = torch.ones(b, n, dtype=torch.int8, device=coords.device)
    real = node_mask != 0
    n_real = int(real[0].sum())
    cache = net.encode(coords, node_mask)
    p = starts.shape[1]
    dev = coords.device
    visited = torch.zeros(b, p, n, dtype=torch.bool, device=dev)
    visited.scatter_(2, starts.unsqueeze(-1), True)
    h_first = net.gather_nodes(cache.h, starts)
    cur = starts
    tour = [starts]
    log_prob = torch.zeros(b, p, device=dev)
    length = torch.zeros(b, p, device=dev)
    for _ in range(n_real - 1):
        ctx = torch.cat([h_first, net.gather_nodes(cache.h, cur)], -1)
        legal = ~visited & real.unsqueeze(1)
        a, lp = _choose(net.step_logits(cache, ctx, legal), sample, generator)
        log_prob = log_prob + lp
        length = length + _dist(coords, cur, a)
        visited = visited.scatter(2, a.unsqueeze(-1), True)
        cur = a
        tour.append(a)
    length = length + _dist(coords, cur, starts)
    return Rollout(torch.stack(tour, -1), log_prob, length)


def rollout_cvrp(
    net: CVRPAttentionNet,
    coords: Tensor,
    demand: Tensor,
    starts: Tensor | None,
    *,
    sample: bool,
    generator: torch.Generator | None = None,
    eps: float = 1e-6,
) -> Rollout:
    """P solutions per instance as giant tours (depot visits = 0).

    coords [B, N, 2] (node 0 the depot), demand [B, N] as a fraction of the capacity
    (demand[:, 0] = 0), starts [B, P] the first customer of each rollout, or None: one
    rollout per instance whose first customer the policy chooses (the env's start state).
    Returns actions [B, P, T] (0-padded after the end; the final return to the depot is
    implied).
    """
    b, n, _ = coords.shape
    dev = coords.device
    node_mask = torch.ones(b, n, dtype=torch.int8, device=dev)
    cache = net.encode(coords, node_mask, demand)
    p = 1 if starts is None else starts.shape[1]
    customer = torch.arange(n, device=dev) > 0
    visited = torch.zeros(b, p, n, dtype=torch.bool, device=dev)
    cur = torch.zeros(b, p, dtype=torch.long, device=dev)
    rem = torch.ones(b, p, device=dev)
    dem = demand.unsqueeze(1)  # [B, 1, N]
    log_prob = torch.zeros(b, p, device=dev)
    length = torch.zeros(b, p, device=dev)
    acts: list[Tensor] = []
    done = torch.zeros(b, p, dtype=torch.bool, device=dev)
    t = 0
    while not bool(done.all()):
        if t == 0 and starts is not None:
            a, lp = starts, torch.zeros(b, p, device=dev)
        else:
            legal = ~visited & customer & (dem <= rem.unsqueeze(-1) + eps)
            legal[..., 0] = cur != 0
            legal = torch.where(done.unsqueeze(-1), ~customer.expand_as(legal), legal)
            ctx = net._context(cache, cur, rem)
            a, lp = _choose(net.step_logits(cache, ctx, legal), sample, generator)
            lp = torch.where(done, torch.zeros_like(lp), lp)
        log_prob = log_prob + lp
        length = length + _dist(coords, cur, a)
        visited = visited.scatter(2, a.unsqueeze(-1), True) & customer
        rem = torch.where(a == 0, torch.ones_like(rem), rem - torch.gather(demand, 1, a))
        cur = a
        acts.append(a)
        newly = visited.sum(-1) == n - 1
        done = done | newly
        t += 1
        if t > 2 * n + 2:  # cannot happen for feasible instances (demand <= capacity)
            raise RuntimeError("CVRP rollout did not finish: a demand exceeds the capacity")
    length = length + _dist(coords, cur, torch.zeros_like(cur))
    return Rollout(torch.stack(acts, -1), log_prob, length)


# 8 symmetries of the unit square (POMO's x8 augmentation)
def augment8(coords: Tensor) -> Tensor:
    """coords [B, N, 2] in the unit square -> [8B, N, 2] (transform-major)."""
    x, y = coords[..., :1], coords[..., 1:]
    variants = [
        (x, y), (y, x), (1 - x, y), (y, 1 - x),
        (x, 1 - y), (1 - y, x), (1 - x, 1 - y), (1 - y, 1 - x),
    ]  # fmt: skip
    return torch.cat([torch.cat(v, -1) for v in variants], 0)

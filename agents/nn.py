"""The blocks every policy net is built from, in one place.

Users: the world encoder (:mod:`aerena.agents.encoders`) and heads
(:mod:`aerena.agents.heads`), the routing nets (:mod:`aerena.agents.solvers.routing`), the
node GNNs and the IM net (:mod:`aerena.agents.solvers.node_gnn`) and the WTA net
(:mod:`aerena.agents.solvers.wta_net`).

* Masking: :func:`most_negative` (the score of a masked key or action), :func:`mask_bias`
  (a keep mask as an additive score bias), :func:`mask_logits` (illegal actions),
  :func:`masked_mean` / :func:`masked_sum` (pooling over real slots).
* :func:`mlp` -- ``Linear - ReLU - ... - Linear`` through the given widths.
* Attention: :func:`split_heads`, :func:`attention` (scaled dot-product over the keys a
  mask keeps, with an optional additive score bias) and :class:`MultiHeadAttention`
  (q / k / v / o projections, optionally a per-head bias learned from pair features).
* :class:`TransformerBlock` -- ``x = LN(x + attn(x, ...)); x = LN(x + FFN(x))`` around any
  attention module.

Plain torch ops only (Linear, matmul, softmax, mul, add, LayerNorm): every net built from
these exports to ONNX (opset 17) with dynamic batch and set axes.

Masked keys get :func:`most_negative` as their score (added as :func:`mask_bias`, the
same bits as a `where()` over the scores at a fraction of the cost; not -1e9): their
softmax weight is exactly 0.0 whenever a row keeps at least one key, and a row that keeps
none comes out uniform instead of NaN.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn

__all__ = [
    "LEGACY_BLOCK_KEYS",
    "MultiHeadAttention",
    "TransformerBlock",
    "attention",
    "mask_bias",
    "mask_logits",
    "masked_mean",
    "masked_sum",
    "mlp",
    "most_negative",
    "split_heads",
]


# --------------------------------------------------------------------------------------
# Masking
# --------------------------------------------------------------------------------------
def most_negative(x: Tensor) -> float:
    """The most negative finite value of x's dtype: the score of a masked key or action
    (probability exactly zero after a softmax, finite gradients, no NaN)."""
    return float(torch.finfo(x.dtype).min)


def mask_logits(logits: Tensor, action_mask: Tensor) -> Tensor:
    """logits [B, A], action_mask [B, A] (nonzero = legal) -> masked logits [B, A].

    Illegal actions get :func:`most_negative`. A row without any legal action (the final
    observation of a lost agent) allows action 0 only, which keeps its distribution well
    defined; such rows are never acted on.
    """
    legal = action_mask != 0
    none = ~legal.any(dim=-1, keepdim=True)
    first = torch.arange(legal.shape[-1], device=legal.device) == 0
    legal = legal | (none & first)
    return torch.where(legal, logits, torch.full_like(logits, most_negative(logits)))


def mask_bias(keep: Tensor, dtype: torch.dtype) -> Tensor:
    """keep (bool, True = kept) -> an additive score bias of the same shape: 0 where kept,
    the most negative finite value of `dtype` where masked.

    ``s + mask_bias(keep)`` equals ``where(keep, s, most_negative)`` bit for bit after a
    softmax for every finite score s: a kept s is unchanged (s + 0 = s) and a masked one
    rounds to the most negative float (|s| is far below half its ulp, ~1e31), so its
    weight is exactly 0 whenever the row keeps a key and a row that keeps none is uniform.
    The bias is as small as the mask (no [.., Q, K] score temporaries, no backward pass:
    the gradient flows through the addition unchanged).
    """
    return (~keep).to(dtype) * float(torch.finfo(dtype).min)


def masked_mean(h: Tensor, mask: Tensor) -> Tensor:
    """Mean of h [B, N, D] over the slots with mask [B, N] != 0 -> [B, D] (0 if none)."""
    m = (mask != 0).to(h.dtype).unsqueeze(-1)
    return (h * m).sum(1) / m.sum(1).clamp(min=1.0)


def masked_sum(x: Tensor, mask: Tensor) -> Tensor:
    """Sum of x [B, N] over the slots with mask [B, N] != 0 -> [B]."""
    return (x * (mask != 0).to(x.dtype)).sum(-1)


# --------------------------------------------------------------------------------------
# MLP
# --------------------------------------------------------------------------------------
def mlp(*widths: int) -> nn.Sequential:
    """``Linear(w0, w1) - ReLU - Linear(w1, w2) - ... - Linear(w[-2], w[-1])``.

    The Linear layers sit at the even indices of the Sequential (state_dict keys ``0.``,
    ``2.``, ...; the last one is ``[-1]``).
    """
    if len(widths) < 2:
        raise ValueError(f"an MLP needs at least an input and an output width, got {widths}")
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
        if i:
            layers.append(nn.ReLU())
        layers.append(nn.Linear(a, b))
    return nn.Sequential(*layers)


# --------------------------------------------------------------------------------------
# Attention
# --------------------------------------------------------------------------------------
def split_heads(x: Tensor, heads: int) -> Tensor:
    """[B, T, H * C] -> [B, H, T, C]."""
    b, t, d = x.shape
    return x.reshape(b, t, heads, d // heads).transpose(1, 2)


def attention(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    keep: Tensor,
    bias: Tensor | None = None,
    *,
    channels: int | None = None,
) -> Tensor:
    """Multi-head scaled dot-product attention over the kept keys, heads concatenated.

    q [B, H, Q, C], k / v [B, H, K, C], keep [B, Q or 1, K] bool (True: query q may attend
    to key k), bias [B, H, Q, K] added to the scores (or None) -> [B, Q, H * C]::

        out_q = concat_h(sum_k softmax_k(<q, k>_h / sqrt(C) + bias_hqk) v_hk)  over kept k

    `channels`: C when the caller knows it (an ONNX trace then keeps the scale a constant
    instead of reading q's shape); default ``q.shape[-1]``.
    """
    c = q.shape[-1] if channels is None else channels
    # the scale goes on q ([B, H, Q, C]) rather than on the scores ([B, H, Q, K])
    scores = torch.matmul(q * (1.0 / math.sqrt(c)), k.transpose(-1, -2))
    if bias is not None:
        scores = scores + bias
    # in place on the matmul's fresh output: one pass, no [B, H, Q, K] temporaries
    scores.add_(mask_bias(keep, scores.dtype).unsqueeze(1))
    out = torch.matmul(torch.softmax(scores, dim=-1), v)
    b, h, t, c = out.shape
    return out.transpose(1, 2).reshape(b, t, h * c)


class MultiHeadAttention(nn.Module):
    """Queries from `x` attend to keys and values from `memory` (default: `x` itself).

    ``o(attention(q(x), k(memory), v(memory), keep, bias))`` with ``bias`` =
    ``pair_bias(pair)`` per head when `pair_features` > 0 (pair [B, Q, K, pair_features]).

    Args:
        dim: model width D (a multiple of `heads`); q, k, v and o are Linear(D, D).
        heads: attention heads H (head width D / H).
        qkv_bias: whether q, k and v have a bias (o always has one).
        pair_features: width of the pair features the score bias is learned from (0: none).
    """

    def __init__(self, dim: int, heads: int, *, qkv_bias: bool = True, pair_features: int = 0):
        super().__init__()
        if dim % heads:
            raise ValueError(f"dim {dim} is not divisible by heads {heads}")
        self.heads, self.channels = heads, dim // heads
        self.q = nn.Linear(dim, dim, bias=qkv_bias)
        self.k = nn.Linear(dim, dim, bias=qkv_bias)
        self.v = nn.Linear(dim, dim, bias=qkv_bias)
        self.o = nn.Linear(dim, dim)
        self.pair_bias = nn.Linear(pair_features, heads) if pair_features else None

    def split(self, x: Tensor) -> Tensor:
        """[B, T, D] -> [B, H, T, D / H]."""
        return split_heads(x, self.heads)

    def attend(
        self, q: Tensor, k: Tensor, v: Tensor, keep: Tensor, pair: Tensor | None = None
    ) -> Tensor:
        """Projected, split q [B, H, Q, C] and k / v [B, H, K, C] (a decoder caches k and
        v), keep [B, Q or 1, K] bool, pair [B, Q, K, F] or None -> [B, Q, D]."""
        bias = None
        if self.pair_bias is not None:
            if pair is None:
                raise ValueError("this attention learns its score bias from pair features")
            bias = self.pair_bias(pair).permute(0, 3, 1, 2)  # [B, H, Q, K]
        return self.o(attention(q, k, v, keep, bias, channels=self.channels))

    def forward(
        self, x: Tensor, keep: Tensor, memory: Tensor | None = None, pair: Tensor | None = None
    ) -> Tensor:
        """x [B, Q, D], keep [B, Q or 1, K] bool, memory [B, K, D] (None: x) -> [B, Q, D]."""
        m = x if memory is None else memory
        return self.attend(
            self.split(self.q(x)), self.split(self.k(m)), self.split(self.v(m)), keep, pair
        )


# --------------------------------------------------------------------------------------
# Transformer block
# --------------------------------------------------------------------------------------
# Child names the blocks had before they shared this class, renamed when a state_dict is
# loaded (the shipped graphs/models/*.pt and earlier checkpoints): the world encoder's
# `conv`; the routing encoder's `mha`, `n1`, `ff`, `n2`; the WTA net's attention
# projections `q`, `k`, `v`, `o` and score bias `bias` at the block's own level.
LEGACY_BLOCK_KEYS: dict[str, str] = {
    "conv.": "attn.",
    "mha.": "attn.",
    "n1.": "norm1.",
    "n2.": "norm2.",
    "ff.": "ffn.",
    "q.": "attn.q.",
    "k.": "attn.k.",
    "v.": "attn.v.",
    "o.": "attn.o.",
    "bias.": "attn.pair_bias.",
}


class TransformerBlock(nn.Module):
    """Post-norm residual block around an attention module `attn`::

        x = LayerNorm(x + attn(x, *args))
        x = LayerNorm(x + FFN(x))            # FFN = mlp(dim, ff, dim)

    `attn` is any module called as ``attn(x, *args)`` -> [.., dim] (:class:`MultiHeadAttention`,
    the world encoder's TransformerConv). Children: ``attn``, ``norm1``, ``ffn``, ``norm2``;
    a state_dict with the older names of :data:`LEGACY_BLOCK_KEYS` loads too.
    """

    def __init__(self, attn: nn.Module, dim: int, ff: int) -> None:
        super().__init__()
        self.attn = attn
        self.norm1 = nn.LayerNorm(dim)
        self.ffn = mlp(dim, ff, dim)
        self.norm2 = nn.LayerNorm(dim)

    def post(self, x: Tensor, h: Tensor) -> Tensor:
        """The block after its attention: x the input, h = attn(x, ...)."""
        x = self.norm1(x + h)
        return self.norm2(x + self.ffn(x))

    def forward(self, x: Tensor, *args: Any) -> Tensor:
        return self.post(x, self.attn(x, *args))

    def _load_from_state_dict(self, state_dict: Any, prefix: str, *args: Any) -> None:
        for key in [k for k in state_dict if k.startswith(prefix)]:
            rest = key[len(prefix) :]
            for old, new in LEGACY_BLOCK_KEYS.items():
                if rest.startswith(old):
                    state_dict[prefix + new + rest[len(old) :]] = state_dict.pop(key)
                    break
        super()._load_from_state_dict(state_dict, prefix, *args)

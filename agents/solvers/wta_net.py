"""`WTANet`: cross attention over the weapon-target bipartite graph (weapon-target assignment).

Reads the observation of ``aerena/WTA-v0`` (``B`` envs, ``M`` weapon slots, ``T`` target
slots), in ``obs_keys`` order: kill_prob [B,M,T], values [B,T], surviving [B,T], assigned
[B,M] (target index or -1), weapon_mask [B,M], target_mask [B,T], current [B,1],
action_mask [B,T]; returns masked logits [B, T] (the current weapon's target).

Model. Tokens are built from per-pair quantities so any M and T fit one set of weights:

* target j: [value, surviving, p_cj, surviving * p_cj, weapons assigned to j / M,
  mean_i p_ij] (c = the current weapon);
* weapon i: [assigned?, current?, still to assign?, p of its assigned target,
  mean_j p_ij, max_j p_ij].

`layers` rounds of multi-head cross attention (targets attend to the real weapons, then
weapons attend to the real targets), each head's score biased by a learned function of the
pair features ``[p_ij, 1(i assigned to j), p_ij * surviving_j]``; residual + LayerNorm and
a feed-forward block after each. The current weapon's token (``gather`` by "current") and
each target token and pair features go through an MLP -> one logit per target, masked by
"action_mask". The critic sums a per-target value MLP over the real targets.

Plain torch ops only (einsum/matmul, softmax, gather, where, LayerNorm): ONNX-exportable
(opset 17) with dynamic batch, weapon and target axes. Config: ``dim`` (64), ``heads`` (4),
``layers`` (2), ``hidden`` (2 * dim).
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from aerena.agents.nn import (
    MultiHeadAttention,
    TransformerBlock,
    mask_logits,
    masked_mean,
    masked_sum,
    mlp,
)
from aerena.agents.solvers.base import GraphPolicyNet
from aerena.errors import UserError

__all__ = ["WTANet"]

PAIR_FEATURES = 3


def cross_attention(dim: int, heads: int, hidden: int) -> TransformerBlock:
    """Queries [B,Q,D] attend to keys [B,K,D] with a per-head additive score bias learned
    from pair features [B,Q,K,3]; residual + LayerNorm + feed-forward (``block(xq, keep,
    xk, pair)``, keep [B,1,K] bool)."""
    attn = MultiHeadAttention(dim, heads, pair_features=PAIR_FEATURES)
    return TransformerBlock(attn, dim, hidden)


class WTANet(GraphPolicyNet):
    """Weapon-target cross attention -> target logits of the current weapon (docstring)."""

    problem: ClassVar[str] = "wta"
    obs_keys: ClassVar[tuple[str, ...]] = (
        "kill_prob", "values", "surviving", "assigned", "weapon_mask", "target_mask",
        "current", "action_mask",
    )  # fmt: skip
    dynamic_axes: ClassVar[dict[str, dict[int, str]]] = {
        "kill_prob": {0: "batch", 1: "weapons", 2: "targets"},
        "values": {0: "batch", 1: "targets"},
        "surviving": {0: "batch", 1: "targets"},
        "assigned": {0: "batch", 1: "weapons"},
        "weapon_mask": {0: "batch", 1: "weapons"},
        "target_mask": {0: "batch", 1: "targets"},
        "current": {0: "batch"},
        "action_mask": {0: "batch", 1: "targets"},
    }

    def __init__(self, dim: int = 64, heads: int = 4, layers: int = 2, hidden: int | None = None,
                 **extra: Any) -> None:  # fmt: skip
        if extra:
            raise UserError(f"WTANet: unknown config keys {sorted(extra)}")
        hidden = int(hidden or 2 * dim)
        if dim < 1 or heads < 1 or dim % heads or layers < 0:
            raise UserError(
                f"WTANet: dim must be a positive multiple of heads and layers >= 0 "
                f"(got dim={dim}, heads={heads}, layers={layers})"
            )
        super().__init__(dim=int(dim), heads=int(heads), layers=int(layers), hidden=hidden)
        self.embed_t = nn.Linear(6, dim)
        self.embed_w = nn.Linear(6, dim)
        self.t_from_w = nn.ModuleList(cross_attention(dim, heads, hidden) for _ in range(layers))
        self.w_from_t = nn.ModuleList(cross_attention(dim, heads, hidden) for _ in range(layers))
        self.score = mlp(3 * dim + PAIR_FEATURES, hidden, hidden, 1)
        self.target_value = mlp(3 * dim, hidden, hidden, 1)

    def _encode(self, kill_prob, values, surviving, assigned, weapon_mask, target_mask,
                current):  # fmt: skip
        p = kill_prob.to(torch.float32)
        n_w, n_t = p.shape[1], p.shape[2]
        wm = (weapon_mask != 0).to(torch.float32)
        tm = (target_mask != 0).to(torch.float32)
        val = values.to(torch.float32)
        surv = surviving.to(torch.float32)
        asg = assigned.long()
        cur = current.long().reshape(-1, 1)  # [B,1]
        # pair features [B,M,T,3]: p, assignment one-hot, p * surviving
        onehot = (asg.unsqueeze(-1) == torch.arange(n_t, device=p.device)).to(torch.float32)
        pair = torch.stack([p, onehot, p * surv.unsqueeze(1)], dim=-1)
        pc = torch.gather(p, 1, cur.unsqueeze(-1).expand(-1, 1, n_t)).squeeze(1)  # [B,T]
        n_real_w = wm.sum(-1, keepdim=True).clamp(min=1.0)
        n_real_t = tm.sum(-1, keepdim=True).clamp(min=1.0)
        xt = torch.stack(
            [
                val,
                surv,
                pc,
                surv * pc,
                (onehot * wm.unsqueeze(-1)).sum(1) / n_real_w,
                (p * wm.unsqueeze(-1)).sum(1) / n_real_w,
            ],
            dim=-1,
        )
        widx = torch.arange(n_w, device=p.device).unsqueeze(0)
        is_assigned = (asg >= 0).to(torch.float32)
        xw = torch.stack(
            [
                is_assigned,
                (widx == cur).to(torch.float32),
                (widx >= cur).to(torch.float32) * wm,
                (p * onehot).sum(-1),
                (p * tm.unsqueeze(1)).sum(-1) / n_real_t,
                (p * tm.unsqueeze(1)).amax(-1),
            ],
            dim=-1,
        )
        ht = self.embed_t(xt) * tm.unsqueeze(-1)
        hw = self.embed_w(xw) * wm.unsqueeze(-1)
        pair_t = pair.transpose(1, 2)  # [B,T,M,3]
        keep_w = (weapon_mask != 0).unsqueeze(1)  # [B,1,M]
        keep_t = (target_mask != 0).unsqueeze(1)  # [B,1,T]
        for t_att, w_att in zip(self.t_from_w, self.w_from_t, strict=True):
            ht = t_att(ht, keep_w, hw, pair_t) * tm.unsqueeze(-1)
            hw = w_att(hw, keep_t, ht, pair) * wm.unsqueeze(-1)
        g = masked_mean(ht, target_mask)
        hc = torch.gather(hw, 1, cur.unsqueeze(-1).expand(-1, 1, hw.shape[-1]))  # [B,1,D]
        ctx = torch.cat([hc, g.unsqueeze(1)], dim=-1).expand(-1, n_t, -1)
        cur_pair = torch.gather(pair, 1, cur.view(-1, 1, 1, 1).expand(-1, 1, n_t, PAIR_FEATURES))
        return torch.cat([ht, ctx], dim=-1), cur_pair.squeeze(1)

    def forward(self, kill_prob: Tensor, values: Tensor, surviving: Tensor, assigned: Tensor,
                weapon_mask: Tensor, target_mask: Tensor, current: Tensor,
                action_mask: Tensor) -> Tensor:  # fmt: skip
        h, cur_pair = self._encode(kill_prob, values, surviving, assigned, weapon_mask,
                                   target_mask, current)  # fmt: skip
        logits = self.score(torch.cat([h, cur_pair], dim=-1)).squeeze(-1)
        return mask_logits(logits, action_mask)

    def value(self, kill_prob: Tensor, values: Tensor, surviving: Tensor, assigned: Tensor,
              weapon_mask: Tensor, target_mask: Tensor, current: Tensor,
              action_mask: Tensor) -> Tensor:  # fmt: skip
        h, _ = self._encode(kill_prob, values, surviving, assigned, weapon_mask, target_mask,
                            current)  # fmt: skip
        return masked_sum(self.target_value(h).squeeze(-1), target_mask)

"""Policy heads per agent role and the value head.

Heads read an :class:`~aerena.agents.encoders.Encoded` (pooled embedding [B, E] and entity
nodes [B, K, D]) and return logits over the role's actions:

* UAV: ``Discrete(54)`` -- an MLP of the embedding (:class:`MLPHead`).
* radar: ``Discrete(2)`` -- an MLP of the embedding (:class:`MLPHead`).
* launcher: ``Discrete(1 + K)`` -- a pointer head (:class:`PointerHead`): action 0 (hold)
  is scored from the embedding, action 1 + k from the embedding and entity node k, so the
  engage logits follow the entities when their slots are permuted. Under a `hold`
  option with H durations it is ``Discrete(H * (1 + K))``, choice ``h * (1 + K) + a``:
  the two MLPs score each action for each duration.

Their logits are masked by :func:`aerena.agents.nn.mask_logits`: illegal actions get the
most negative finite float (probability exactly zero after the softmax, finite gradients,
no NaN in entropies or KL); a row without any legal action (the final observation of a
lost agent) allows action 0 only, which keeps its distribution well defined; such rows are
never acted on.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from aerena.agents.encoders import Encoded
from aerena.agents.nn import mlp

ROLES = ("uav", "launcher", "radar")


class MLPHead(nn.Module):
    """Logits [B, n] from the embedding."""

    def __init__(self, embed_dim: int, hidden: int, n: int) -> None:
        super().__init__()
        self.net = mlp(embed_dim, hidden, hidden, n)
        nn.init.normal_(self.net[-1].weight, std=0.01)  # near-uniform initial policy
        nn.init.zeros_(self.net[-1].bias)

    def set_prior(self, probs: Tensor) -> None:
        """Start the policy at action probabilities `probs` [n] (the last layer's bias is
        their log; its weights are near zero, so every state starts there)."""
        if probs.shape != self.net[-1].bias.shape:
            raise ValueError(
                f"prior of {probs.shape[0]} actions for a head of {self.net[-1].bias.shape[0]}"
            )
        with torch.no_grad():
            self.net[-1].bias.copy_(torch.log(probs / probs.sum()))

    def forward(self, enc: Encoded) -> Tensor:
        return self.net(enc.embedding)


class PointerHead(nn.Module):
    """Logits [B, H * (1 + K)]: hold from the embedding, engage slot k from (node k,
    embedding), one score per duration h of an option (H = 1: per-step play)."""

    def __init__(self, embed_dim: int, node_dim: int, hidden: int, durations: int = 1) -> None:
        super().__init__()
        self.H = int(durations)
        self.hold = mlp(embed_dim, hidden, hidden, self.H)
        self.engage = mlp(node_dim + embed_dim, hidden, hidden, self.H)
        for net in (self.hold, self.engage):
            nn.init.normal_(net[-1].weight, std=0.01)
            nn.init.zeros_(net[-1].bias)

    def forward(self, enc: Encoded) -> Tensor:
        emb, nodes = enc.embedding, enc.nodes
        B, K, _ = nodes.shape
        pair = torch.cat([nodes, emb[:, None, :].expand(B, K, emb.shape[-1])], dim=-1)
        if self.H == 1:
            return torch.cat([self.hold(emb), self.engage(pair).squeeze(-1)], dim=-1)
        per = torch.cat([self.hold(emb)[:, :, None], self.engage(pair).transpose(1, 2)], dim=2)
        return per.reshape(B, self.H * (1 + K))  # [B, H, 1 + K] -> choice h * (1 + K) + a


class ValueHead(nn.Module):
    """State value [B] from the embedding."""

    def __init__(self, embed_dim: int, hidden: int) -> None:
        super().__init__()
        self.net = mlp(embed_dim, hidden, hidden, 1)

    def forward(self, embedding: Tensor) -> Tensor:
        return self.net(embedding).squeeze(-1)


def make_head(
    role: str, *, embed_dim: int, node_dim: int, hidden: int, n_actions: int, durations: int = 1
) -> nn.Module:
    """The policy head of a role (`uav` | `launcher` | `radar`) for `n_actions` choices
    (`durations`: of a launcher's `hold` option; MLP heads only need `n_actions`)."""
    if role == "launcher":
        return PointerHead(embed_dim, node_dim, hidden, durations)
    if role in ("uav", "radar"):
        return MLPHead(embed_dim, hidden, n_actions)
    raise ValueError(f"unknown role {role!r}: expected one of {', '.join(ROLES)}")


def role_of_agent(agent_id: str) -> str:
    """`uav_3` -> `uav`, `launcher_0` -> `launcher`, `radar_1` -> `radar`."""
    return str(agent_id).rsplit("_", 1)[0]

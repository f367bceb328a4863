"""`EntityGNNModule`: the RLlib (new API stack) module of one agent role, and a learned player.

One module per role -- module ids `uav`, `launcher`, `radar` -- so every agent of a role
shares its parameters (`policy_mapping_fn`: :func:`~aerena.agents.heads.role_of_agent`).
The module reads the env's `Dict` observation (`self`, `entities`, `entity_mask`,
`action_mask`; see :mod:`aerena.envs.airdefense.parallel`), encodes it with the dense
attention :class:`~aerena.agents.encoders.EntityEncoder`, and returns the role head's
logits with illegal actions masked (:func:`~aerena.agents.nn.mask_logits`): sampled
and greedy actions are always legal. The value head shares the encoder.

`model_config` keys (all optional):

=============  =======  =====================================================
`role`         auto     `uav` | `launcher` | `radar` (default: from the action
                        space: 54 -> uav, 2 -> radar, else launcher)
`dim`          32       node width of the encoder (a multiple of `heads`)
`embed_dim`    32       pooled embedding width
`heads`        4        attention heads
`layers`       1        message-passing layers
`hidden`       64       hidden width of the policy and value MLPs
`action_prior` {}       role -> initial action probabilities (`uav`, `radar`
                        heads; default uniform): the policy starts there
=============  =======  =====================================================

With a `state` entry in the observation space (the side env's `global_state`), the value
head also reads the world's true state (a centralised critic); the policy never does.

APIs: `TorchRLModule` (`_forward` for inference and exploration, `_forward_train` also
returning the embeddings), `ValueFunctionAPI` (`compute_values`), `TargetNetworkAPI`
(APPO's target encoder and head) and `InferenceOnlyAPI` (env runners drop the value head
and target networks).

:class:`LearnedPlayer` plays one side of a :class:`~aerena.envs.airdefense.world.World`
with such modules (greedy masked actions), in the :class:`~aerena.agents.scripted.Player`
interface, so learned and scripted players run through the same rollout code; its play
options are :class:`~aerena.agents.play.SidePlay`'s, shared with the batched trainer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from ray.rllib.core.columns import Columns
from ray.rllib.core.learner.utils import make_target_network
from ray.rllib.core.rl_module.apis import (
    InferenceOnlyAPI,
    TargetNetworkAPI,
    ValueFunctionAPI,
)
from ray.rllib.core.rl_module.apis.target_network_api import TARGET_NETWORK_ACTION_DIST_INPUTS
from ray.rllib.core.rl_module.torch.torch_rl_module import TorchRLModule

from aerena.agents.encoders import Encoded, EntityEncoder
from aerena.agents.heads import ROLES, ValueHead, make_head
from aerena.agents.nn import mask_logits, mlp
from aerena.agents.play import SidePlay, needs_pilot
from aerena.agents.scripted.base import Player
from aerena.envs.airdefense import layout as Lo

MODEL_DEFAULTS: dict[str, Any] = {  # as training.config.ModelSpec (chosen by measurement)
    "dim": 32,
    "embed_dim": 32,
    "heads": 4,
    "layers": 1,
    "hidden": 64,
}
# rows per encoder pass when values are computed without embeddings (RLlib's GAE pass over
# the whole train batch): measured on strike_small, one 4096-row pass took ~290-390 ms in
# the learner against ~75 ms for the same rows in 512-row chunks (large activations, one
# fresh allocation each call, out of cache); 0 = one pass. Row-wise, so the values agree.
VALUE_CHUNK = 512
ROLE_CODES = Lo.AGENT_ROLE_CODES
PLAN_HINTS = {
    "radar": " (an emission_plan radar: give emission_plan)",
    "uav": " (a target_plan UAV: give target_plan)",
}


def infer_role(n_actions: int) -> str:
    if n_actions == Lo.UAV_ACTIONS:
        return "uav"
    if n_actions == Lo.RADAR_ACTIONS:
        return "radar"
    return "launcher"


class EntityGNNModule(TorchRLModule, ValueFunctionAPI, TargetNetworkAPI, InferenceOnlyAPI):
    """Entity-attention encoder + role head + value head (see the module docstring)."""

    def setup(self) -> None:
        cfg = {**MODEL_DEFAULTS, **dict(self.model_config or {})}
        space = self.observation_space
        S = int(space["self"].shape[0])
        K, F = (int(x) for x in space["entities"].shape)
        n = int(self.action_space.n)
        self.role = str(cfg.get("role") or infer_role(n))
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}: expected one of {', '.join(ROLES)}")
        if self.role == "launcher" and n % (1 + K):
            raise ValueError(
                f"a launcher has 1 + K = {1 + K} actions (times its hold durations), "
                f"the space has {n}"
            )
        dim, emb, hidden = int(cfg["dim"]), int(cfg["embed_dim"]), int(cfg["hidden"])
        self.encoder = EntityEncoder(
            S, F, K, dim=dim, embed_dim=emb, heads=int(cfg["heads"]), layers=int(cfg["layers"])
        )
        self.pi = make_head(self.role, embed_dim=emb, node_dim=dim, hidden=hidden, n_actions=n,
                            durations=n // (1 + K) if self.role == "launcher" else 1)  # fmt: skip
        prior = dict(cfg.get("action_prior") or {}).get(self.role)
        if prior is not None:
            self.pi.set_prior(torch.as_tensor(prior, dtype=torch.float32))
        self.vf = ValueHead(emb, hidden)
        self.value_chunk = int(cfg.get("value_chunk", VALUE_CHUNK))
        if "state" in space.spaces:  # centralised critic: the value also reads the state
            D = int(space["state"].shape[0])
            self.critic_state = mlp(D, hidden, emb)

    # ------------------------------------------------------------------ forward passes
    def _encode(self, obs: Mapping[str, torch.Tensor], encoder: Any = None) -> Encoded:
        enc = self.encoder if encoder is None else encoder
        return enc(obs["self"].float(), obs["entities"].float(), obs["entity_mask"])

    def _forward(self, batch: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        obs = batch[Columns.OBS]
        logits = mask_logits(self.pi(self._encode(obs)), obs["action_mask"])
        return {Columns.ACTION_DIST_INPUTS: logits}

    def _forward_train(self, batch: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        obs = batch[Columns.OBS]
        enc = self._encode(obs)
        return {
            Columns.ACTION_DIST_INPUTS: mask_logits(self.pi(enc), obs["action_mask"]),
            Columns.EMBEDDINGS: enc.embedding,
        }

    def compute_values(self, batch: dict[str, Any], embeddings: Any = None) -> torch.Tensor:
        obs = batch[Columns.OBS]
        if embeddings is None:
            embeddings = self._embed_chunked(obs)
        if hasattr(self, "critic_state"):
            embeddings = embeddings + self.critic_state(obs["state"].float())
        return self.vf(embeddings)

    def _embed_chunked(self, obs: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """The encoder's embedding [B, E], in chunks of `value_chunk` rows when B is larger."""
        n, c = int(obs["self"].shape[0]), self.value_chunk
        if c <= 0 or n <= c:
            return self._encode(obs).embedding
        keys = ("self", "entities", "entity_mask")
        parts = [
            self._encode({k: obs[k][i : i + c] for k in keys}).embedding for i in range(0, n, c)
        ]
        return torch.cat(parts)

    # ------------------------------------------------------------------ APPO target nets
    def make_target_networks(self) -> None:
        self._target_encoder = make_target_network(self.encoder)
        self._target_pi = make_target_network(self.pi)

    def get_target_network_pairs(self) -> list[tuple[Any, Any]]:
        return [(self.encoder, self._target_encoder), (self.pi, self._target_pi)]

    def forward_target(self, batch: dict[str, Any]) -> dict[str, Any]:
        obs = batch[Columns.OBS]
        enc = self._encode(obs, self._target_encoder)
        logits = mask_logits(self._target_pi(enc), obs["action_mask"])
        return {TARGET_NETWORK_ACTION_DIST_INPUTS: logits}

    def get_non_inference_attributes(self) -> list[str]:
        return ["vf", "critic_state", "_target_encoder", "_target_pi"]


# --------------------------------------------------------------------------------------
# A learned player over the World's arrays
# --------------------------------------------------------------------------------------
OBS_KEYS = ("self", "entities", "entity_mask", "action_mask")  # a module's inputs


class LearnedPlayer(Player):
    """Plays `side` of every world with RLModules per role: greedy masked actions.

    `modules` maps role (`uav`, `launcher`, `radar`) to a module with `forward_inference`
    (an :class:`EntityGNNModule`, e.g. restored with `RLModule.from_checkpoint`).
    With `sample=True` actions are drawn from the masked policy instead (seeded by
    `seed`). The play options -- `action_repeat` (role -> k), `emission_latch`,
    `emission_plan=(step_s, choices)`, `target_plan`, `hold`, `doctrine` -- are those of
    :class:`~aerena.agents.play.SidePlay`, the same code the batched training path runs,
    so a module is played as its experiment trained it. Only the agents that decide this
    step go through the module (one forward per role over all worlds).
    """

    def __init__(
        self,
        world: Any,
        side: str,
        modules: Mapping[str, Any],
        *,
        seed: int | None = None,
        sample: bool = False,
        action_repeat: Mapping[str, int] | None = None,
        emission_latch: bool = False,
        emission_plan: tuple[float, int] | None = None,
        target_plan: bool = False,
        hold: Mapping[str, Sequence[int]] | None = None,
        doctrine: Mapping[str, float] | None = None,
    ) -> None:
        super().__init__(world, side, seed=seed)
        flown = needs_pilot(target_plan, doctrine)
        pilot_seed = int(self.rng.integers(0, 2**62)) if flown else None
        self.play = SidePlay(
            world,
            side,
            action_repeat=action_repeat,
            emission_latch=emission_latch,
            emission_plan=emission_plan,
            target_plan=target_plan,
            pilot_seed=pilot_seed,
            hold=hold,
            doctrine=doctrine,
        )
        self.pilot = self.play.pilot
        self.modules = dict(modules)
        self.sample = bool(sample)
        self.generator = torch.Generator()
        self.generator.manual_seed(int(self.rng.integers(0, 2**62)))
        for g in self.play.groups:
            if g.role not in self.modules:
                raise ValueError(f"no module for role {g.role!r} (have {', '.join(self.modules)})")
            space = getattr(self.modules[g.role], "action_space", None)
            n_mod = int(space.n) if space is not None else g.n_choices
            if n_mod != g.n_choices:
                hint = PLAN_HINTS.get(g.role, "")
                raise ValueError(
                    f"the {g.role} module has {n_mod} actions, this player needs "
                    f"{g.n_choices}{hint}"
                )

    def reset(self, worlds: np.ndarray | None = None) -> None:
        self.play.reset(worlds)

    @torch.no_grad()
    def act(self) -> np.ndarray:
        return self.play.play(self._decide)

    def _decide(self, role: str, rows: tuple[np.ndarray, ...]) -> np.ndarray:
        obs = {k: torch.from_numpy(x) for k, x in zip(OBS_KEYS, rows, strict=True)}
        out = self.modules[role].forward_inference({Columns.OBS: obs})
        return self._choose(out[Columns.ACTION_DIST_INPUTS])

    def _choose(self, logits: torch.Tensor) -> np.ndarray:
        if self.sample:
            probs = torch.softmax(logits, dim=-1)
            return torch.multinomial(probs, 1, generator=self.generator).squeeze(-1).numpy()
        return logits.argmax(dim=-1).numpy()

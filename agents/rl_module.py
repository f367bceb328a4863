"""`EntityGNNModule`: the RLlib (new API stack) module of one agent role, and a learned player.

One module per role -- module ids `uav`, `launcher`, `radar` -- so every agent of a role
shares its parameters (`policy_mapping_fn`: :func:`~aerena.agents.heads.role_of_agent`).
The module reads the env's `Dict` observation (`self`, `entities`, `entity_mask`,
`action_mask`; see :mod:`aerena.envs.airdefense.parallel`), encodes it with the dense
attention :class:`~aerena.agents.encoders.EntityEncoder`, and returns the role head's
logits with illegal actions masked (:func:`~aerena.agents.heads.mask_logits`): sampled
and greedy actions are always legal. The value head shares the encoder.

`model_config` keys (all optional):

=============  =======  =====================================================
`role`         auto     `uav` | `launcher` | `radar` (default: from the action
                        space: 54 -> uav, 2 -> radar, else launcher)
`dim`          64       node width of the encoder (a multiple of `heads`)
`embed_dim`    64       pooled embedding width
`heads`        4        attention heads
`layers`       2        message-passing layers
`hidden`       128      hidden width of the policy and value MLPs
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
interface, so learned and scripted players run through the same rollout code.
"""

from __future__ import annotations

from collections.abc import Mapping
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
from aerena.agents.heads import ROLES, ValueHead, make_head, mask_logits
from aerena.agents.scripted.base import Player
from aerena.envs.airdefense import layout as Lo

MODEL_DEFAULTS: dict[str, Any] = {
    "dim": 64,
    "embed_dim": 64,
    "heads": 4,
    "layers": 2,
    "hidden": 128,
}
ROLE_CODES = Lo.AGENT_ROLE_CODES


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
        if self.role == "launcher" and n != 1 + K:
            raise ValueError(f"a launcher has 1 + K = {1 + K} actions, the space has {n}")
        dim, emb, hidden = int(cfg["dim"]), int(cfg["embed_dim"]), int(cfg["hidden"])
        self.encoder = EntityEncoder(
            S, F, K, dim=dim, embed_dim=emb, heads=int(cfg["heads"]), layers=int(cfg["layers"])
        )
        self.pi = make_head(self.role, embed_dim=emb, node_dim=dim, hidden=hidden, n_actions=n)
        prior = dict(cfg.get("action_prior") or {}).get(self.role)
        if prior is not None:
            self.pi.set_prior(torch.as_tensor(prior, dtype=torch.float32))
        self.vf = ValueHead(emb, hidden)
        if "state" in space.spaces:  # centralised critic: the value also reads the state
            D = int(space["state"].shape[0])
            self.critic_state = torch.nn.Sequential(
                torch.nn.Linear(D, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, emb)
            )

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
            embeddings = self._encode(obs).embedding
        if hasattr(self, "critic_state"):
            embeddings = embeddings + self.critic_state(obs["state"].float())
        return self.vf(embeddings)

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
class LearnedPlayer(Player):
    """Plays `side` of every world with RLModules per role: greedy masked actions.

    `modules` maps role (`uav`, `launcher`, `radar`) to a module with `forward_inference`
    (an :class:`EntityGNNModule`, e.g. restored with `RLModule.from_checkpoint`).
    With `sample=True` actions are drawn from the masked policy instead (seeded by
    `seed`). Agents that are not alive get their no-op. `action_repeat` (role -> k) makes
    that role's agents decide every k steps and hold the action in between (the first
    decision on the step an agent is first seen alive), as they did in training with the
    same setting (:class:`~aerena.training.side_env.SideEnv`). With `emission_latch=True`
    a radar that chose to emit keeps emitting until the player is reset for that world
    (its "silent" action is masked, as in `SideEnv` with `emission_latch`). With
    `emission_plan=(step_s, choices)` the radar module picks a delay index once, on the
    radar's first live step after a reset, from an all-legal mask of `choices` delays; the
    radar stays silent for `index * step_s` seconds and then emits (as in `SideEnv` with
    `emission_plan`). With `target_plan=True` the UAV module picks each UAV's target once,
    on its first live step, from an all-legal mask of `1 + T` choices (0: the doctrine's),
    and a :class:`~aerena.agents.scripted.attacker.ScriptedAttacker` flies it there (as
    in `SideEnv` with `target_plan`).
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
    ) -> None:
        super().__init__(world, side, seed=seed)
        self.pilot: Any = None  # target plan: the scripted attacker that flies the UAVs
        if target_plan:
            from aerena.agents.scripted.attacker import ScriptedAttacker

            self.pilot = ScriptedAttacker(world, seed=int(self.rng.integers(0, 2**62)))
        self.emission_latch = bool(emission_latch)
        self.plan = None if emission_plan is None else (float(emission_plan[0]),
                                                        int(emission_plan[1]))  # fmt: skip
        self.modules = dict(modules)
        self.sample = bool(sample)
        self.action_repeat = {r: int(k) for r, k in (action_repeat or {}).items() if int(k) > 1}
        self.generator = torch.Generator()
        self.generator.manual_seed(int(self.rng.integers(0, 2**62)))
        role = world.agent_role[self.columns]
        self.groups: list[tuple[str, np.ndarray, np.ndarray, int]] = []
        for name, code in ROLE_CODES.items():
            pos = np.flatnonzero(role == code)  # positions in the side's columns
            if len(pos) == 0:
                continue
            if name not in self.modules:
                raise ValueError(f"no module for role {name!r} (have {', '.join(self.modules)})")
            cols = self.columns[pos]
            n_act = int(world.action_sizes[cols[0]])
            space = getattr(self.modules[name], "action_space", None)
            n_mod = int(space.n) if space is not None else n_act
            want = self.plan[1] if self.plan is not None and name == "radar" else n_act
            if self.pilot is not None and name == "uav":
                want = 1 + len(self.pilot.target_names)
            if n_mod != want:
                hint = {"radar": " (an emission_plan radar: give emission_plan)",
                        "uav": " (a target_plan UAV: give target_plan)"}.get(name, "")  # fmt: skip
                raise ValueError(
                    f"the {name} module has {n_mod} actions, this player needs {want}{hint}"
                )
            self.groups.append((name, pos, cols, n_act))
        from aerena.envs.airdefense.spaces import noop_actions

        self.noop = noop_actions(world)[self.columns]
        B = world.num_worlds
        self._held = np.tile(self.noop, (B, 1)).astype(np.int64)  # [B, n_side] held actions
        self._left = np.zeros((B, len(self.columns)), dtype=np.int64)  # steps until a decision
        self._latched = np.zeros((B, len(self.columns)), dtype=bool)  # radars that chose to emit
        self._switch_on = np.full((B, len(self.columns)), np.nan)  # emission plan: active from
        self._planned = np.zeros((B, len(self.columns)), dtype=bool)  # target plan: chosen

    def reset(self, worlds: np.ndarray | None = None) -> None:
        idx = slice(None) if worlds is None else np.asarray(worlds, dtype=np.int64)
        self._left[idx] = 0
        self._latched[idx] = False
        self._switch_on[idx] = np.nan
        self._planned[idx] = False
        if self.pilot is not None:
            self.pilot.reset(None if worlds is None else idx)

    @torch.no_grad()
    def act(self) -> np.ndarray:
        s = self.world.state
        B = s.obs_self.shape[0]
        out = np.tile(self.noop, (B, 1))
        for name, pos, cols, n_act in self.groups:
            n = len(cols)
            if self.plan is not None and name == "radar":
                out[:, pos] = self._planned_radars(pos, cols, n_act)
                continue
            if self.pilot is not None and name == "uav":
                out[:, pos] = self._planned_uavs(pos, cols, n_act)
                continue
            legal = s.act_mask[:, cols, :n_act]  # [B, n, A] (a copy: fancy index)
            act_mask = legal
            latch = self.emission_latch and name == "radar"
            if latch:  # a latched radar may only emit (action 0)
                on = self._latched[:, pos] & legal[:, :, 0]
                act_mask = legal.copy()
                act_mask[:, :, 1:] &= ~on[..., None]
            act = self._choose(self._logits(name, cols, act_mask)).reshape(B, n)
            alive = s.agent_alive[:, cols] & legal.any(axis=2)
            act = np.where(alive, act, self.noop[pos][None, :])
            k = self.action_repeat.get(name, 1)
            if k > 1:
                held = self._held[:, pos]
                held_legal = np.take_along_axis(legal, held[..., None], 2)
                due = (self._left[:, pos] <= 0) | ~alive | ~held_legal[..., 0].astype(bool)
                act = np.where(due, act, held)
                self._held[:, pos] = act
                self._left[:, pos] = np.where(due & alive, k - 1, self._left[:, pos] - 1)
            if latch:
                self._latched[:, pos] |= alive & (act == 0)
            out[:, pos] = act
        return out.astype(np.int64)

    def _logits(self, name: str, cols: np.ndarray, act_mask: np.ndarray) -> torch.Tensor:
        s = self.world.state
        B, n = s.obs_self.shape[0], len(cols)
        obs = {
            "self": torch.from_numpy(s.obs_self[:, cols].reshape(B * n, -1)),
            "entities": torch.from_numpy(s.obs_ent[:, cols].reshape(B * n, *s.obs_ent.shape[2:])),
            "entity_mask": torch.from_numpy(s.obs_mask[:, cols].reshape(B * n, -1)),
            "action_mask": torch.from_numpy(act_mask.reshape(B * n, -1)),
        }
        return self.modules[name].forward_inference({Columns.OBS: obs})[Columns.ACTION_DIST_INPUTS]

    def _choose(self, logits: torch.Tensor) -> np.ndarray:
        if self.sample:
            probs = torch.softmax(logits, dim=-1)
            return torch.multinomial(probs, 1, generator=self.generator).squeeze(-1).numpy()
        return logits.argmax(dim=-1).numpy()

    def _decide_once(
        self, name: str, cols: np.ndarray, n_act: int, undecided: np.ndarray, n_choices: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """A plan's one decision: the agents alive [B, n], those due (alive and
        `undecided`), and their choices among `n_choices` (all legal), or None when none
        is due."""
        s = self.world.state
        B, n = s.obs_self.shape[0], len(cols)
        alive = s.agent_alive[:, cols] & s.act_mask[:, cols, :n_act].any(axis=2)
        due = alive & undecided
        if not due.any():
            return alive, due, None
        mask = np.ones((B, n, n_choices), dtype=bool)
        return alive, due, self._choose(self._logits(name, cols, mask)).reshape(B, n)

    def _planned_radars(self, pos: np.ndarray, cols: np.ndarray, n_act: int) -> np.ndarray:
        """Emission plan: a delay picked on a radar's first live step, then silent (1)
        until the switch-on time and emit (0) after it."""
        s = self.world.state
        step_s, choices = self.plan  # type: ignore[misc]
        t = np.asarray(s.t, dtype=np.float64).reshape(-1, 1)
        alive, due, delay = self._decide_once(
            "radar", cols, n_act, np.isnan(self._switch_on[:, pos]), choices
        )
        if delay is not None:
            self._switch_on[:, pos] = np.where(due, t + delay * step_s, self._switch_on[:, pos])
        on = t >= self._switch_on[:, pos]
        return np.where(alive, np.where(on, 0, 1), self.noop[pos][None, :])

    def _planned_uavs(self, pos: np.ndarray, cols: np.ndarray, n_act: int) -> np.ndarray:
        """Target plan: a target choice on a UAV's first live step (0: the doctrine's, 1 + t:
        target slot t), then the pilot's flight."""
        undecided = ~self._planned[:, pos]
        n_choices = 1 + len(self.pilot.target_names)
        alive, due, choice = self._decide_once("uav", cols, n_act, undecided, n_choices)
        if choice is not None:
            self.pilot.fixed[:, pos] = np.where(due, choice - 1, self.pilot.fixed[:, pos])
            self._planned[:, pos] |= due
        flown = self.pilot.act()[:, pos]
        return np.where(alive, flown, self.noop[pos][None, :])

"""Torch-free runtime for exported aerena policies: numpy + onnxruntime only.

    from aerena.deploy import OnnxPolicy
    policy = OnnxPolicy.load("model.onnx")          # or model.launcher.onnx + model.radar.onnx
    actions = policy.act_dict(obs)                   # PettingZoo dict obs -> {agent: action}
    player = policy.player(world, "defender")        # Player interface over a World

Models come from `aerena export` (:mod:`aerena.agents.onnx_export`): one file per role,
inputs `self` [B, S] float32, `entities` [B, K, F] float32, `entity_mask` [B, K] bool,
`action_mask` [B, A] bool; outputs masked `logits` [B, A] and greedy `action` [B] int64.
The metadata key `play_options` holds how the run played its modules (decision
intervals, held options, emission latch / plan, target plan); :meth:`OnnxPolicy.player`
plays them the same way, through :class:`aerena.agents.play.SidePlay`.
A multi-role export `--out model.onnx` is stored as ``model.<role>.onnx``;
:meth:`OnnxPolicy.load` accepts the `--out` path, one role file, or several files. The
role of each model is read from its `metadata_props`.

Graph-task policies (:mod:`aerena.agents.solvers.onnx`, ``aerena export POLICY.pt``) load
into :class:`GraphOnnxPolicy`: inputs named after the env observation keys (dynamic batch
and node axes), outputs masked `logits` [B, A] and greedy `action` [B]::

    policy = GraphOnnxPolicy.load("tsp20.onnx")
    objective, tour = policy.solve(gymnasium.make("aerena/TSP-v0", num_nodes=50), seed=0)
    a = policy.act(obs)                              # one env observation dict -> int

Importing this module imports neither torch, ray nor torch_geometric.
"""

from __future__ import annotations

import glob
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from aerena.errors import UserError

ROLE_CODES = {"uav": 0, "launcher": 1, "radar": 2}  # layout.AGENT_UAV / _LAUNCHER / _RADAR
SIDE_ROLES = {"attacker": ("uav",), "defender": ("launcher", "radar")}


def role_of_agent(agent_id: str) -> str:
    """`uav_3` -> `uav`."""
    return str(agent_id).rsplit("_", 1)[0]


def cpu_session(path: str | Path, threads: int = 1) -> Any:
    """An onnxruntime CPU session of the model at `path` on `threads` intra-op threads;
    a file onnxruntime cannot load is a one-line UserError."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = int(threads)
    opts.inter_op_num_threads = 1
    try:
        return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime's own exception classes (InvalidProtobuf, Fail)
        reason = type(exc).__name__.rsplit(".", 1)[-1]
        raise UserError(f"{path}: not a loadable ONNX model ({reason})") from None


def _meta_json(path: Path, meta: Mapping[str, str], key: str, default: str) -> Any:
    """A JSON entry of a model's metadata; unreadable JSON is a UserError naming the key."""
    try:
        return json.loads(meta.get(key, default))
    except ValueError:
        raise UserError(f"{path}: the model's {key!r} metadata is not valid JSON") from None


def _spans_steps(play: Mapping[str, Any]) -> bool:
    """Whether play options make a decision last more than one step."""
    return bool(
        play.get("hold")
        or any(int(k) > 1 for k in dict(play.get("action_repeat") or {}).values())
        or play.get("emission_latch")
        or play.get("emission_plan")
        or play.get("target_plan")
    )


class RoleModel:
    """One exported role model in an onnxruntime session (one thread by default)."""

    def __init__(self, path: str | Path, *, threads: int = 1) -> None:
        self.path = Path(path)
        self.session = cpu_session(path, threads)
        self.meta: dict[str, str] = dict(self.session.get_modelmeta().custom_metadata_map)
        self.role = self.meta.get("role", "")
        if self.role not in ROLE_CODES:
            raise UserError(f"{path}: not an aerena policy model (no known role in its metadata)")
        layout = _meta_json(self.path, self.meta, "observation_layout", "{}")
        self.layout = layout
        try:
            self.n_actions = int(layout.get("A", self.session.get_outputs()[0].shape[1]))
        except (AttributeError, IndexError, TypeError, ValueError):
            raise UserError(f"{path}: the model does not say how many actions it has") from None
        self.action_meanings: list[str] = _meta_json(self.path, self.meta, "action_meanings", "[]")
        play = _meta_json(self.path, self.meta, "play_options", "{}")
        if not isinstance(play, dict):
            raise UserError(f"{path}: the model's 'play_options' metadata is not a mapping")
        self.play: dict[str, Any] = play

    def run(
        self,
        obs_self: np.ndarray,
        entities: np.ndarray,
        entity_mask: np.ndarray,
        action_mask: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Batched arrays -> (masked logits [B, A] float32, greedy actions [B] int64)."""
        feeds = {
            "self": np.ascontiguousarray(obs_self, dtype=np.float32),
            "entities": np.ascontiguousarray(entities, dtype=np.float32),
            "entity_mask": np.ascontiguousarray(entity_mask != 0),
            "action_mask": np.ascontiguousarray(action_mask[..., : self.n_actions] != 0),
        }
        logits, action = self.session.run(["logits", "action"], feeds)
        return logits, action.astype(np.int64)


class OnnxPolicy:
    """Exported role models by role; acts on PettingZoo dict obs or World arrays."""

    def __init__(self, models: Mapping[str, RoleModel]) -> None:
        self.models = dict(models)

    @classmethod
    def load(cls, paths: str | Path | Sequence[str | Path], *, threads: int = 1) -> OnnxPolicy:
        """From an `--out` path (`model.onnx` or its `model.<role>.onnx`), or several files."""
        if isinstance(paths, (str, Path)):
            p = Path(paths)
            if p.is_file():
                files = [p]
            else:
                stem = p.name[:-5] if p.name.endswith(".onnx") else p.name
                files = [Path(f) for f in sorted(glob.glob(str(p.with_name(f"{stem}.*.onnx"))))]
            if not files:
                raise FileNotFoundError(f"{p}: no ONNX model (nor {p.stem}.<role>.onnx)")
        else:
            files = [Path(f) for f in paths]
        models: dict[str, RoleModel] = {}
        for f in files:
            m = RoleModel(f, threads=threads)
            if m.role in models:
                raise UserError(f"two models for role {m.role!r}: {models[m.role].path}, {f}")
            models[m.role] = m
        return cls(models)

    @property
    def roles(self) -> list[str]:
        return list(self.models)

    def act_dict(self, observations: Mapping[str, Mapping[str, np.ndarray]]) -> dict[str, int]:
        """PettingZoo dict obs ({agent: {self, entities, entity_mask, action_mask}}) ->
        {agent: greedy action} for the agents whose role has a model (one batch per role).
        Per-step play only: models trained with play options that span steps (a held
        option, a decision interval, a plan, the latch) need :meth:`player`, which keeps
        that state."""
        if any(_spans_steps(m.play) for m in self.models.values()):
            raise UserError(
                "these models keep decisions across steps (their play_options); play them "
                "with OnnxPolicy.player(world, side)"
            )
        by_role: dict[str, list[str]] = {}
        for agent in observations:
            role = role_of_agent(agent)
            if role in self.models:
                by_role.setdefault(role, []).append(agent)
        out: dict[str, int] = {}
        for role, agents in by_role.items():
            obs = [observations[a] for a in agents]
            _, act = self.models[role].run(
                np.stack([o["self"] for o in obs]),
                np.stack([o["entities"] for o in obs]),
                np.stack([o["entity_mask"] for o in obs]),
                np.stack([o["action_mask"] for o in obs]),
            )
            out.update({a: int(x) for a, x in zip(agents, act, strict=True)})
        return out

    def play_options(self) -> dict[str, Any]:
        """How the models are played (`SidePlay` keyword arguments), from their metadata;
        models exported before play options were recorded play every step."""
        opts = [m.play for m in self.models.values()]
        if any(o != opts[0] for o in opts[1:]):
            raise UserError("the role models were exported with different play_options")
        return dict(opts[0]) if opts else {}

    def player(self, world: Any, side: str, *, seed: int | None = None) -> OnnxPlayer:
        return OnnxPlayer(world, side, self, seed=seed)


class OnnxPlayer:
    """Plays `side` of every world of a World with an :class:`OnnxPolicy` (greedy actions),
    in the scripted `Player` interface (`reset(worlds=None)`, `act() -> int64 [B, n_side]`),
    exactly as :class:`aerena.agents.rl_module.LearnedPlayer` does with torch modules: the
    play options the models were trained with (`play_options` in their metadata: decision
    intervals, options held for a chosen duration, emission latch and plan, target plan)
    run through the same :class:`~aerena.agents.play.SidePlay`, and only the agents that
    decide this step go through the model. `seed` seeds a target plan's pilot as
    `LearnedPlayer(seed=...)` does."""

    def __init__(
        self, world: Any, side: str, policy: OnnxPolicy, *, seed: int | None = None
    ) -> None:
        from aerena.agents.play import SidePlay, needs_pilot

        self.world, self.side, self.policy = world, side, policy
        play = policy.play_options()
        rng = np.random.default_rng(seed)  # as agents.scripted.base.Player
        flown = needs_pilot(bool(play.get("target_plan")), play.get("doctrine"))
        pilot_seed = int(rng.integers(0, 2**62)) if flown else None
        try:
            self.play = SidePlay(world, side, pilot_seed=pilot_seed, **play)
        except (TypeError, ValueError) as exc:
            raise UserError(f"the models' play_options do not apply here: {exc}") from None
        self.columns = self.play.columns
        for g in self.play.groups:
            if g.role not in policy.models:
                raise ValueError(f"no model for role {g.role!r} (have {', '.join(policy.roles)})")
            model = policy.models[g.role]
            k = model.layout.get("K")
            if k is not None and int(k) != int(world.static.k):
                raise UserError(
                    f"{model.path}: the {g.role} model sees K = {k} entities, this scenario's "
                    f"observation.k is {world.static.k}"
                )
            if model.n_actions != g.n_choices:
                raise UserError(
                    f"{model.path}: the {g.role} model has {model.n_actions} actions, its "
                    f"play options give {g.n_choices} choices"
                )

    def reset(self, worlds: np.ndarray | None = None) -> None:
        self.play.reset(worlds)

    def act(self) -> np.ndarray:
        return self.play.play(lambda role, rows: self.policy.models[role].run(*rows)[1])


# --------------------------------------------------------------------------------------
# Graph-task policies
# --------------------------------------------------------------------------------------
_ORT_DTYPES = {
    "tensor(float)": np.float32,
    "tensor(double)": np.float64,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
    "tensor(int8)": np.int8,
    "tensor(uint8)": np.uint8,
    "tensor(bool)": np.bool_,
}


class GraphOnnxPolicy:
    """An exported graph-task policy (one onnxruntime session, one thread by default).

    Attributes read from the model's metadata: `problem`, `env_id`, `obs_keys` (the input
    order), `action_meaning`, `layout` (per input: dtype and shape with axis names) and
    `training_meta`.
    """

    def __init__(self, path: str | Path, *, threads: int = 1) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"{path}: no such ONNX model")
        self.session = cpu_session(path, threads)
        self.meta: dict[str, str] = dict(self.session.get_modelmeta().custom_metadata_map)
        self.problem = self.meta.get("problem", "")
        self.env_id = self.meta.get("env_id", "")
        self.action_meaning = self.meta.get("action_meaning", "")
        self.layout: dict[str, Any] = _meta_json(self.path, self.meta, "observation_layout", "{}")
        self.training_meta: dict[str, Any] = _meta_json(self.path, self.meta, "training_meta", "{}")
        inputs = self.session.get_inputs()
        self.obs_keys: list[str] = [i.name for i in inputs]
        self._dtypes = {i.name: _ORT_DTYPES.get(i.type, np.float32) for i in inputs}
        self._ranks = {i.name: len(i.shape) for i in inputs}

    @classmethod
    def load(cls, path: str | Path, *, threads: int = 1) -> GraphOnnxPolicy:
        return cls(path, threads=threads)

    def feeds(self, obs: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> tuple[dict, bool]:
        """The session inputs of one observation dict, a list of them, or a dict of arrays
        with a batch axis; and whether the input was a batch."""
        if not isinstance(obs, Mapping):
            rows = list(obs)
            f = {k: np.stack([np.asarray(o[k]) for o in rows]) for k in self.obs_keys}
            batched = True
        else:
            missing = [k for k in self.obs_keys if k not in obs]
            if missing:
                raise KeyError(f"observation lacks {missing} (model inputs: {self.obs_keys})")
            first = np.asarray(obs[self.obs_keys[0]])
            batched = first.ndim == self._ranks[self.obs_keys[0]]
            f = {k: np.asarray(obs[k]) for k in self.obs_keys}
            if not batched:
                f = {k: v[None] for k, v in f.items()}
        f = {k: np.ascontiguousarray(v, dtype=self._dtypes[k]) for k, v in f.items()}
        return f, batched

    def run(self, obs: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> tuple:
        """(masked logits [B, A] float32, greedy actions [B] int64, batched)."""
        f, batched = self.feeds(obs)
        logits, action = self.session.run(["logits", "action"], f)
        return logits, action.astype(np.int64), batched

    def logits(self, obs: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Masked logits: [A] for one observation, [B, A] for a batch."""
        logits, _, batched = self.run(obs)
        return logits if batched else logits[0]

    def act(
        self,
        obs: Mapping[str, Any] | Sequence[Mapping[str, Any]],
        greedy: bool = True,
        rng: np.random.Generator | None = None,
    ) -> int | np.ndarray:
        """The greedy (or, with ``greedy=False``, a sampled) action: an int for one
        observation, int64 [B] for a batch."""
        logits, action, batched = self.run(obs)
        if not greedy:
            rng = rng if rng is not None else np.random.default_rng()
            legal = logits > np.finfo(logits.dtype).min
            z = np.where(legal, logits.astype(np.float64), -np.inf)
            p = np.exp(z - z.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            u = rng.random((len(p), 1))
            action = np.minimum((p.cumsum(axis=1) < u).sum(axis=1), p.shape[1] - 1)
            action = action.astype(np.int64)
        return action if batched else int(action[0])

    def solve(
        self, env: Any, instance: Any = None, seed: int | None = None
    ) -> tuple[float, np.ndarray]:
        """Greedy decoding on a Gymnasium env of the problem: reset (with `instance` if
        given, else the env's generator seeded `seed`), step the greedy actions until the
        episode ends; (info["objective"], info["solution"])."""
        options = {"instance": instance} if instance is not None else None
        obs, _ = env.reset(seed=seed, options=options)
        while True:
            obs, _, terminated, truncated, info = env.step(self.act(obs))
            if terminated or truncated:
                return float(info["objective"]), np.asarray(info["solution"])


__all__ = ["GraphOnnxPolicy", "OnnxPlayer", "OnnxPolicy", "RoleModel", "role_of_agent"]

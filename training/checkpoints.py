"""Checkpoints, run folders and league snapshots: finding them and opening their modules.

A checkpoint is a weights folder (:mod:`aerena.training.weights`), an RLlib checkpoint
folder (``iter_NNNNNN/`` of a run) or a run folder (its newest checkpoint); a league
snapshot is a weights folder or, signed, a folder of bare RLlib modules. Below the env
(:class:`~aerena.training.side_env.SideEnv` opens its frozen opponents here), so the env
class an unsigned checkpoint's modules are built for is an argument, not an import.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aerena.errors import UserError
from aerena.training import trust, weights
from aerena.training.algorithm import algorithm_config
from aerena.training.config import load_experiment

STATE_FILE = "aerena_state.json"  # our counters, inside each checkpoint folder


def latest_checkpoint(run_dir: Path) -> Path | None:
    """The newest complete checkpoint of a run folder (or None)."""
    ck = run_dir / "checkpoints"
    pointer = ck / "latest"
    if pointer.is_file():
        cand = ck / pointer.read_text(encoding="utf-8").strip()
        if (cand / STATE_FILE).is_file():
            return cand
    done = sorted(p for p in ck.glob("iter_*") if (p / STATE_FILE).is_file())
    return done[-1] if done else None


def resolve_checkpoint(path: str | Path) -> tuple[Path, Path | None]:
    """(checkpoint folder, run folder or None) of a checkpoint, weights or run folder (a
    weights folder with its experiment is its own run folder: its ``config.yaml``)."""
    p = Path(path)
    if weights.is_weights_folder(p):
        return p, p if (p / weights.EXPERIMENT_FILE).is_file() else None
    if (p / "rllib_checkpoint.json").is_file():
        run = p.parent.parent
        return p, run if (run / "config.yaml").is_file() else None
    if (p / "config.yaml").is_file():
        ck = latest_checkpoint(p)
        if ck is None:
            raise UserError(f"{p}: the run folder has no checkpoint yet")
        return ck, p
    raise UserError(f"{p}: neither an RLlib checkpoint, a weights folder nor a run folder")


def is_checkpoint_or_run(path: str | Path) -> bool:
    """Whether `path` is an RLlib checkpoint, weights or run folder (not, e.g., a league
    snapshot folder of bare RLlib modules)."""
    p = Path(path)
    return (
        weights.is_weights_folder(p)
        or (p / "rllib_checkpoint.json").is_file()
        or (p / "config.yaml").is_file()
    )


def checkpoint_play_options(path: str | Path) -> dict[str, Any]:
    """`LearnedPlayer` options of the run a checkpoint (or run folder) belongs to: its
    experiment's `play_options()`; none for a checkpoint outside a run folder or a league
    snapshot folder."""
    if not is_checkpoint_or_run(path):
        return {}
    _, run_dir = resolve_checkpoint(path)
    if run_dir is None:
        return {}
    return load_experiment(run_dir / "config.yaml").config.play_options()


def load_modules(checkpoint: str | Path, env_cls: type | None) -> dict[str, Any]:
    """role -> RLModule of a weights folder or an algorithm checkpoint (learner's modules);
    `env_cls`: the env whose spaces an unsigned checkpoint's modules are built for
    (SideEnv, passed in: the env opens checkpoints through this module).

    A weights folder (:mod:`aerena.training.weights`) holds no code and is always read.
    A checkpoint aerena signed (:mod:`aerena.training.trust`), or any with
    ``--trust-checkpoint``, is restored by RLlib (``RLModule.from_checkpoint``: pickles).
    Any other checkpoint inside a run folder is opened without running code from it: each
    module is built from the run's ``config.yaml`` and given the weights of its
    ``module_state.pkl`` read as plain arrays (:func:`trust.load_module_state`); its other
    pickles are never read; one with a ``weights/`` folder (training writes it into every
    checkpoint) is read from there. Anything else is refused."""
    ck = Path(checkpoint)
    if weights.is_weights_folder(ck):
        return weights.load_weights(ck)
    base = Path(checkpoint) / "learner_group" / "learner" / "rl_module"
    if not base.is_dir():
        raise UserError(f"{checkpoint}: no learner modules in the checkpoint ({base})")
    roles = [d.name for d in sorted(base.iterdir()) if (d / "module_state.pkl").is_file()]
    if not roles:
        raise UserError(f"{checkpoint}: no modules found in {base}")
    if trust.untrusted_reason(checkpoint) is not None:
        if weights.is_weights_folder(ck / "weights"):
            return weights.load_weights(ck / "weights")
        run = Path(checkpoint).parent.parent
        if not (run / "config.yaml").is_file():
            trust.require_trusted(checkpoint)  # refuses, saying why and what to do
        return _weights_only_modules(Path(checkpoint), run, roles, env_cls)
    from ray.rllib.core.rl_module.rl_module import RLModule  # heavy: only when needed

    out = {}
    for role in roles:
        module = RLModule.from_checkpoint(str((base / role).resolve()))
        module.eval()
        out[role] = module
    return out


def _weights_only_modules(
    checkpoint: Path, run: Path, roles: list[str], env_cls: type | None
) -> dict[str, Any]:
    """The modules of an unsigned checkpoint, built from its run's experiment (YAML) and
    loaded with its weights as plain arrays: no pickle of the checkpoint runs code."""
    if env_cls is None:
        raise UserError(f"{checkpoint}: an unsigned checkpoint needs its env's spaces (env_cls)")
    exp = load_experiment(run / "config.yaml").config
    specs = algorithm_config(exp, env_cls).rl_module_spec.rl_module_specs
    out = {}
    for role in roles:
        if role not in specs:
            raise UserError(f"{checkpoint}: module {role!r} is not one of its run's roles")
        module = specs[role].build()
        path = checkpoint / "learner_group" / "learner" / "rl_module" / role / "module_state.pkl"
        try:
            module.set_state(trust.load_module_state(path))
        except (RuntimeError, KeyError, ValueError, TypeError) as exc:
            raise UserError(
                f"{path}: the weights do not fit the run's {role} module ({exc})"
            ) from None
        module.eval()
        out[role] = module
    return out


def load_snapshot_modules(path: str | Path, env_cls: type | None) -> dict[str, Any]:
    """role -> RLModule of a league snapshot (a weights folder), an RLlib checkpoint or a
    run folder; a snapshot of bare RLlib modules only when aerena signed it (see
    :mod:`aerena.training.trust`); `env_cls` as in :func:`load_modules`."""
    p = Path(path)
    if is_checkpoint_or_run(p):
        return load_modules(resolve_checkpoint(p)[0], env_cls)
    out = {}
    if p.is_dir():
        trust.require_trusted(p)  # before anything in it is unpickled
    from ray.rllib.core.rl_module.rl_module import RLModule  # heavy: only when needed

    for d in sorted(p.iterdir()) if p.is_dir() else []:
        if d.is_dir() and (d / "class_and_ctor_args.pkl").is_file():
            module = RLModule.from_checkpoint(str(d))
            module.eval()
            out[d.name] = module
    if not out:
        raise UserError(f"{path}: no modules (neither a snapshot, a checkpoint nor a run folder)")
    return out

"""Checkpoint signatures (aerena.training.trust) and progress files that survive a kill."""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

import pytest
import torch

from aerena.errors import UserError
from aerena.training import trust
from aerena.training.progress import read_records, record_line


@pytest.fixture
def key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "keys" / "checkpoint.key"
    monkeypatch.setenv(trust.KEY_ENV, str(path))
    monkeypatch.delenv(trust.TRUST_ENV, raising=False)
    return path


def _checkpoint(folder: Path) -> Path:
    (folder / "module").mkdir(parents=True)
    (folder / "module" / "class_and_ctor_args.pkl").write_bytes(b"pickle bytes")
    (folder / "rllib_checkpoint.json").write_text("{}")
    return folder


def test_signed_checkpoint_verifies_and_the_key_is_private(tmp_path: Path, key: Path) -> None:
    ck = _checkpoint(tmp_path / "ck")
    trust.sign(ck)
    trust.require_trusted(ck)
    assert key.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("change", ["alter", "add", "remove"])
def test_any_change_after_signing_is_refused(tmp_path: Path, key: Path, change: str) -> None:
    ck = _checkpoint(tmp_path / "ck")
    trust.sign(ck)
    pkl = ck / "module" / "class_and_ctor_args.pkl"
    if change == "alter":
        pkl.write_bytes(b"other pickle")
    elif change == "add":
        (ck / "module" / "extra.pkl").write_bytes(b"x")
    else:
        pkl.unlink()
    with pytest.raises(UserError, match="changed since aerena wrote it"):
        trust.require_trusted(ck)


def test_unsigned_or_foreign_checkpoints_need_the_flag(
    tmp_path: Path, key: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ck = _checkpoint(tmp_path / "ck")
    with pytest.raises(UserError, match="no signature.*--trust-checkpoint"):
        trust.require_trusted(ck)
    trust.sign(ck)
    monkeypatch.setenv(trust.KEY_ENV, str(tmp_path / "other.key"))  # another user's aerena
    with pytest.raises(UserError, match="signed by another aerena"):
        trust.require_trusted(ck)
    monkeypatch.setenv(trust.TRUST_ENV, "1")
    trust.require_trusted(ck)


def test_progress_tolerates_a_torn_last_line(tmp_path: Path) -> None:
    path = tmp_path / "progress.jsonl"
    recs = [{"iteration": i, "env_steps": 10 * i, "time_s": float(i)} for i in (1, 2)]
    path.write_text("".join(record_line(r) for r in recs) + '{"iteration": 3, "env_st')
    assert [r["iteration"] for r in read_records(path)] == [1, 2]
    path.write_text('{"iteration": 1, "env_st\n' + record_line(recs[1]))
    with pytest.raises(UserError, match="progress.jsonl:1"):
        read_records(path)


def _evil(marker: Path) -> bytes:
    class Evil:
        def __reduce__(self) -> tuple:
            return (os.system, (f"touch {marker}",))

    return pickle.dumps(Evil())


@pytest.mark.slow
def test_foreign_run_opens_without_running_its_pickles(tmp_path: Path, ray_local: None) -> None:
    """A run folder from elsewhere (no valid signature) whose pickles would run code: its
    modules are built from config.yaml and get their weights as plain arrays; a weights
    file that is not plain arrays is refused. The marker file is never created."""
    from quick_runs import QUICK_RUN

    from aerena.training.config import experiment_for_scenario
    from aerena.training.evaluate import evaluate, load_modules
    from aerena.training.train import latest_checkpoint, train

    overrides = {**QUICK_RUN, "algorithm.train_batch_size": 128, "stop.iterations": 1}
    res = train(experiment_for_scenario("tiny", overrides), runs_dir=tmp_path / "runs", live=False)
    ours = load_modules(latest_checkpoint(res.run_dir))
    foreign = tmp_path / "foreign"
    shutil.copytree(res.run_dir, foreign)
    ck = latest_checkpoint(foreign)
    (ck / trust.SIGNATURE_FILE).unlink()
    marker = tmp_path / "PWNED"
    for p in ck.rglob("*.pkl"):
        if p.name != "module_state.pkl":
            p.write_bytes(_evil(marker))
    # every checkpoint carries its weights-only folder: read first, no pickle at all
    assert (ck / "weights" / "aerena_weights.json").is_file()
    state = ck / "learner_group" / "learner" / "rl_module" / "launcher" / "module_state.pkl"
    saved_state = state.read_bytes()
    state.write_bytes(_evil(marker))
    for theirs in (load_modules(ck), load_modules(ck / "weights")):
        for role, module in ours.items():
            a, b = module.state_dict(), theirs[role].state_dict()
            assert all(torch.equal(a[k], b[k]) for k in a)
    assert evaluate(foreign, episodes=2, worlds=2)["side"] == "defender"
    # without it (an older checkpoint): the run's config and the states as plain arrays
    shutil.rmtree(ck / "weights")
    state.write_bytes(saved_state)
    theirs = load_modules(ck)
    for role, module in ours.items():
        a, b = module.state_dict(), theirs[role].state_dict()
        assert all(torch.equal(a[k], b[k]) for k in a)
    state.write_bytes(_evil(marker))
    with pytest.raises(UserError, match="not plain module weights"):
        load_modules(ck)
    assert not marker.exists()


@pytest.mark.parametrize("driver_trusts", [False, True])
def test_runners_take_the_drivers_trust_decision(
    tmp_path: Path, key: Path, monkeypatch: pytest.MonkeyPatch, driver_trusts: bool
) -> None:
    """An env runner (here SideEnv on the local path; the same call runs in the batched
    runner and on a remote cluster) decides on a checkpoint opponent as the driver did
    (its --trust-checkpoint, passed in the runner config), not as its machine's
    environment says. Untrusted: the unsigned snapshot is refused before any pickle is
    read; trusted: it is opened (and found empty of modules)."""
    from aerena.training.side_env import SideEnv
    from aerena.training.train import env_config

    snapshot = tmp_path / "snapshot"
    (snapshot / "launcher").mkdir(parents=True)
    (snapshot / "launcher" / "module_state.pkl").write_bytes(b"would be unpickled")
    if driver_trusts:
        monkeypatch.setenv(trust.TRUST_ENV, "1")
    from aerena.training.config import experiment_for_scenario

    exp = experiment_for_scenario(
        "tiny",
        {"opponent": "checkpoint", "opponent_checkpoint": str(snapshot), "learn": "attacker"},
    )
    cfg = env_config(exp.config)
    assert cfg[trust.RUNNER_KEY] is driver_trusts
    # the runner's machine says the opposite of the driver
    if driver_trusts:
        monkeypatch.delenv(trust.TRUST_ENV)
    else:
        monkeypatch.setenv(trust.TRUST_ENV, "1")
    match = "no modules" if driver_trusts else "no signature.*--trust-checkpoint"
    with pytest.raises(UserError, match=match):
        SideEnv(cfg)


# --------------------------------------------------------------------------------------
# The weights-only format
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def weights_folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A weights folder of `tiny`'s untrained defender modules, and the modules."""
    from aerena.training import weights
    from aerena.training.config import experiment_for_scenario
    from aerena.training.train import build_algorithm_config

    exp = experiment_for_scenario("tiny").config
    specs = build_algorithm_config(exp).rl_module_spec.rl_module_specs
    modules = {role: spec.build() for role, spec in specs.items()}
    folder = tmp_path_factory.mktemp("weights") / "policy"
    weights.save_weights(modules, folder, exp.to_yaml())
    return folder, modules


def test_weights_folder_holds_no_pickle_and_plays(
    weights_folder: tuple[Path, dict], tmp_path: Path
) -> None:
    """Tensors, a JSON spec and the experiment: read back equal, without the trust flag,
    and played by evaluate and as a checkpoint opponent (load_snapshot_modules)."""
    from aerena.training.evaluate import evaluate, load_modules
    from aerena.training.league import load_snapshot_modules

    folder, modules = weights_folder
    assert sorted(p.name for p in folder.iterdir()) == [
        "aerena_weights.json",
        "config.yaml",
        "weights.pt",
    ]
    assert trust.untrusted_reason(folder) is not None  # unsigned, and not needed
    for loaded in (load_modules(folder), load_snapshot_modules(folder)):
        assert sorted(loaded) == sorted(modules)
        for role, module in modules.items():
            a, b = module.state_dict(), loaded[role].state_dict()
            assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    report = evaluate(folder, episodes=2, worlds=2)
    assert report["side"] == "defender" and report["scenario"] == "tiny"


def _copy(folder: Path, to: Path) -> Path:
    shutil.copytree(folder, to)
    return to


def test_damaged_weights_folders_are_refused(
    weights_folder: tuple[Path, dict], tmp_path: Path
) -> None:
    import json

    from aerena.training import weights

    folder, _ = weights_folder
    marker = tmp_path / "PWNED"
    evil = _copy(folder, tmp_path / "evil")
    (evil / "weights.pt").write_bytes(_evil(marker))
    with pytest.raises(UserError, match="not readable module weights"):
        weights.load_weights(evil)
    assert not marker.exists()
    for change, needle in [
        (lambda d: d["roles"]["launcher"].update(module_class="os.system"), "registered"),
        (
            lambda d: d["roles"]["launcher"]["observation_space"]["spaces"]["self"].update(
                shape=[10**6, 10**6]
            ),
            "values \\(at most",
        ),
        (lambda d: d["roles"]["launcher"]["model_config"].update(dim=33), "do not fit"),
        (lambda d: d["roles"]["launcher"]["model_config"].update(dim=10**9), "not a net size"),
        (lambda d: d.update(format="other/9"), "not a readable weights spec"),
    ]:
        bad = _copy(folder, tmp_path / f"bad{len(list(tmp_path.iterdir()))}")
        doc = json.loads((bad / weights.SPEC_FILE).read_text())
        change(doc)
        (bad / weights.SPEC_FILE).write_text(json.dumps(doc))
        with pytest.raises(UserError, match=needle):
            weights.load_weights(bad)
    # a folder that is not a weights folder is never replaced by one
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    with pytest.raises(UserError, match="not a weights folder"):
        weights.save_weights({}, other, None)
    assert (other / "keep.txt").read_text() == "mine"


def test_a_truncated_weights_folder_is_one_error_line(
    weights_folder: tuple[Path, dict], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from aerena.cli import main

    folder, _ = weights_folder
    cut = _copy(folder, tmp_path / "cut")
    (cut / "weights.pt").write_bytes((folder / "weights.pt").read_bytes()[:100])
    for argv in (["evaluate", str(cut), "--episodes", "1"], ["export", str(cut), "--weights",
                                                             str(tmp_path / "out")]):  # fmt: skip
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and len(err.strip().splitlines()) == 1, err
        assert "not readable module weights" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()

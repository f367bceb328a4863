"""Hostile and careless input: every command refuses in one line, fast, and runs no code.

Each case is a bad input from one class of issue 15 through the real CLI, and asserts exit
status 2, exactly one stderr line starting with ``error:`` (a scenario's located errors may
follow it), no traceback, and no secret from a file echoed. Resource bombs and crafted
pickles run in a subprocess under a memory limit and a timeout; the others call
:func:`aerena.cli.main` in-process (the same code path, without the start-up cost).
"""

from __future__ import annotations

import io
import json
import os
import pickle
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from aerena.cli import main

SECRET = "hunter2-SECRET-CONTENT"
ROOT = Path(__file__).resolve().parent.parent
TSP_MODEL = ROOT / "graphs" / "models" / "tsp20.pt"


# --------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of bad files, made once for the module."""
    d = tmp_path_factory.mktemp("hostile")
    (d / "secret.txt").write_text(f"password: {SECRET}\nkey: {SECRET}\n")
    (d / "binary.yaml").write_bytes(b"\xff\xfe\x00\x81" + os.urandom(64))
    (d / "deep.yaml").write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    bomb, prev = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n', "a"
    for c in "bcdefghij":
        bomb += f"{c}: &{c} [" + ",".join([f"*{prev}"] * 9) + "]\n"
        prev = c
    (d / "bomb.yaml").write_text(bomb)
    (d / "string.yaml").write_text(f'"{SECRET}"\n')
    (d / "leak_txt.yaml").write_text("extends: secret.txt\nname: x\n")
    (d / "outside").mkdir()
    (d / "outside" / "lib.yaml").write_text(f"{SECRET}: 1\n")
    (d / "scen").mkdir()
    (d / "scen" / "leak_outside.yaml").write_text("extends: ../outside/lib.yaml\nname: x\n")
    (d / "scen" / "pk.yaml").write_text(
        "extends: tiny\ntypes:\n  launcher:\n    medium: {pk: 1.5}\n"
    )
    big = np.lib.format.open_memmap(d / "big.npy", mode="w+", dtype=np.float32, shape=(5001, 5001))
    del big  # a sparse file: its header says 25,010,001 heights
    (d / "terrain_big.yaml").write_text(
        "extends: tiny\nmap:\n  size: [10000, 10000]\n  terrain: {kind: file, file: big.npy}\n"
    )
    tsp = "NAME: x\nTYPE: TSP\nDIMENSION: {n}\nEDGE_WEIGHT_TYPE: EUC_2D\nNODE_COORD_SECTION\n"
    (d / "one.tsp").write_text(tsp.format(n=1) + "1 0 0\nEOF\n")
    (d / "nan.tsp").write_text(tsp.format(n=3) + "1 nan 0\n2 1 1\n3 2 2\nEOF\n")
    (d / "huge.tsp").write_text(tsp.format(n=10**9) + "1 0 0\nEOF\n")
    (d / "binary.tsp").write_bytes(b"\x00\x01" + os.urandom(200))
    (d / "secret.tsp").write_text(f"{SECRET} here\n")
    (d / "secret.txt.edges").write_text(f"0 1\n{SECRET}\n")
    (d / "bigid.edges").write_text("0 1\n1 99999999999\n")
    (d / "loop.edges").write_text("0 1\n0 0\n")
    (d / "loop.col").write_text("p edge 3 2\ne 1 2\ne 3 3\n")
    (d / "wta.json").write_text('{"kill_prob": [[0.5]]}')
    (d / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (d / "empty.pt").write_bytes(b"")
    (d / "trunc.pt").write_bytes(TSP_MODEL.read_bytes()[:1000])
    import torch

    payload = torch.load(TSP_MODEL, weights_only=True)
    torch.save({**payload, "class": "aerena.cli:main"}, d / "foreign_class.pt")
    torch.save({**payload, "config": {"dim": 10**9}}, d / "huge_config.pt")
    (d / "garbage.onnx").write_bytes(b"not an onnx model")
    (d / "garbage.npz").write_bytes(b"PK\x03\x04garbage")
    (d / "afile").write_text("a file, not a folder\n")
    (d / "empty_ckpt").mkdir()
    (d / "league_run").mkdir()
    (d / "league_run" / "league.json").write_text(f'{{"round": 1, "ratings": ["{SECRET}"]}}')
    return d


@pytest.fixture(scope="module")
def replays(bad: Path) -> dict[str, Path]:
    """A good replay of `tiny` and damaged copies of it."""
    assert main(["rollout", "tiny", "--episodes", "1", "--record", str(bad / "rec")]) == 0
    (good,) = sorted((bad / "rec").glob("*.npz"))
    base = dict(np.load(good))
    out = {}
    nan = {k: v.copy() for k, v in base.items()}
    nan["air_pos"][5, 0, 0] = np.nan
    np.savez(bad / "nan.aerena-replay.npz", **nan)
    out["nan"] = bad / "nan.aerena-replay.npz"
    index = {k: v.copy() for k, v in base.items()}
    index["radar_g"][...] = 10**6
    np.savez(bad / "index.aerena-replay.npz", **index)
    out["index"] = bad / "index.aerena-replay.npz"
    with zipfile.ZipFile(bad / "huge.aerena-replay.npz", "w") as z:
        for key, value in base.items():
            buf = io.BytesIO()
            if key == "terrain":  # a header that claims 149 GiB, and no data
                header = {"descr": "<f4", "fortran_order": False, "shape": (200_000, 200_000)}
                np.lib.format.write_array_header_1_0(buf, header)
            else:
                np.save(buf, value)
            z.writestr(f"{key}.npy", buf.getvalue())
    out["huge"] = bad / "huge.aerena-replay.npz"
    return out


def _check(rc: int, err: str, needle: str) -> None:
    assert "Traceback" not in err, err
    assert rc == 2, err
    assert SECRET not in err, err
    lines = err.strip().splitlines()
    assert lines and lines[0].startswith("error: "), err
    assert sum(line.startswith("error:") for line in lines) == 1, err
    assert needle in err, err


# --------------------------------------------------------------------------------------
# In-process: one error line for each class of bad input
# --------------------------------------------------------------------------------------
CASES = [
    # files that are not what they claim, and what they must not leak
    ("binary-scenario", ["rollout", "{d}/binary.yaml"], "not UTF-8 text"),
    ("deep-yaml", ["scenario", "show", "{d}/deep.yaml"], "nested more than 64 levels"),
    ("string-scenario", ["scenario", "show", "{d}/string.yaml"], "found a string"),
    ("extends-text-file", ["scenario", "show", "{d}/leak_txt.yaml"], "not a .yaml file"),
    ("extends-outside", ["rollout", "{d}/scen/leak_outside.yaml"], "outside the scenario's"),
    ("experiment-binary", ["train", "{d}/binary.yaml"], "not UTF-8 text"),
    ("scenario-not-yaml", ["rollout", "{d}/secret.txt"], "not a .yaml"),
    ("experiment-not-yaml", ["train", "{d}/secret.txt"], "not a .yaml"),
    ("set-bad-yaml", ["scenario", "show", "tiny", "--set", "episode.max_steps=[[["], "not valid"),
    ("set-unknown", ["rollout", "tiny", "--set", "episode.max_stepz=3"], "max_stepz"),
    # scenario semantics, located
    ("pk-above-1", ["rollout", "{d}/scen/pk.yaml"], "pk.yaml:4:14: types.launcher.medium.pk"),
    ("range-negative", ["rollout", "tiny", "--set", "types.radar.search.range=-5"], "domain"),
    (
        "uniform-negative",
        ["rollout", "tiny", "--set", "assets.0.value={{uniform: [-1, 2]}}"],
        "outside its domain",
    ),
    ("rcs-nan", ["rollout", "tiny", "--set", "types.uav.strike.rcs=.nan"], "finite"),
    (
        "batch-beyond-reason",
        ["train", "--scenario", "tiny", "--set", "algorithm.train_batch_size=1000000000000"],
        "train_batch_size",
    ),
    # numbers out of their domain
    ("seed-negative", ["rollout", "tiny", "--seed", "-1"], "--seed"),
    ("seed-huge", ["evaluate", "x", "--seed", "99999999999999999999999"], "--seed"),
    ("episodes-0", ["rollout", "tiny", "--episodes", "0"], "--episodes"),
    ("worlds-negative", ["play-onnx", "m.onnx", "--worlds", "-3"], "--worlds"),
    ("time-limit-nan", ["solve", "tsp", "berlin52", "--time-limit", "nan"], "--time-limit"),
    ("run-minutes-huge", ["run", "--minutes", "1e12"], "--minutes"),
    ("optimum-nan", ["solve", "tsp", "berlin52", "--optimum", "nan"], "--optimum"),
    ("time-limit-huge", ["solve", "tsp", "berlin52", "--time-limit", "1e300"], "--time-limit"),
    ("generate-empty", ["solve", "mvc", "--generate", ",,,"], "--generate"),
    ("edges-self-loop", ["solve", "mvc", "{d}/loop.edges"], "loop.edges:2: self-loop"),
    ("dimacs-self-loop", ["solve", "mvc", "{d}/loop.col"], "loop.col:3: self-loop"),
    ("optimum-inf", ["solve", "tsp", "berlin52", "--optimum", "inf"], "--optimum"),
    ("optimum-negative", ["solve", "tsp", "berlin52", "--optimum", "-3"], "--optimum"),
    ("nodes-0", ["train-solver", "tsp", "--nodes", "0", "--out", "x.pt"], "--nodes"),
    (
        "device-bogus",
        [
            "train-solver",
            "tsp",
            "--engine",
            "torch",
            "--iterations",
            "1",
            "--device",
            "cuda9",
            "--out",
            "{d}/x.pt",
        ],
        "not a torch device",
    ),
    ("generate-n-0", ["solve", "tsp", "--generate", "n=0"], "n must be"),
    ("generate-n-1", ["solve", "tsp", "--generate", "n=1"], "at least 2 nodes"),
    ("generate-n-negative", ["solve", "maxcover", "--generate", "n=-1"], ">= 0"),
    ("generate-n-text", ["solve", "tsp", "--generate", "n=abc"], "n must be"),
    ("generate-p-nan", ["solve", "mvc", "--generate", "n=10,p=nan"], "finite"),
    ("generate-seed", ["solve", "tsp", "--generate", "n=10,seed=-1"], "seed"),
    ("tsp-one-node", ["solve", "tsp", "{d}/one.tsp"], "at least 2 nodes"),
    ("tsp-nan", ["solve", "tsp", "{d}/nan.tsp"], "finite"),
    ("tsp-dimension", ["solve", "tsp", "{d}/huge.tsp"], "DIMENSION"),
    ("tsp-binary", ["solve", "tsp", "{d}/binary.tsp"], "binary file"),
    ("tsp-secret", ["solve", "tsp", "{d}/secret.tsp"], "secret.tsp:1"),
    ("edges-secret", ["solve", "mvc", "{d}/secret.txt.edges"], "secret.txt.edges:2"),
    ("json-missing-key", ["solve", "wta", "{d}/wta.json"], "missing key"),
    ("json-deep", ["solve", "wta", "{d}/deep.json"], "nested too deeply"),
    # outputs that cannot be written
    ("out-directory", ["solve", "tsp", "berlin52", "--method", "nn", "--out", "{d}"], "{d}"),
    (
        "out-under-file",
        ["solve", "tsp", "berlin52", "--method", "nn", "--out", "{d}/afile/x.tour"],
        "afile",
    ),
    ("record-is-file", ["rollout", "tiny", "--record", "{d}/afile"], "afile"),
    ("picture-is-folder", ["scenario", "show", "tiny", "--out", "{d}"], "is a folder"),
    ("picture-type", ["scenario", "show", "tiny", "--out", "{d}/x.txt"], "unknown picture type"),
    # models, checkpoints, ONNX files
    (
        "model-empty",
        ["solve", "tsp", "berlin52", "--method", "model", "--model", "{d}/empty.pt"],
        "not a readable policy",
    ),
    ("model-truncated", ["export", "{d}/trunc.pt", "--out", "{d}/m.onnx"], "not a readable"),
    (
        "model-text",
        ["solve", "tsp", "berlin52", "--method", "model", "--model", "{d}/secret.txt"],
        "not a readable policy",
    ),
    (
        "model-foreign-class",
        ["solve", "tsp", "berlin52", "--method", "model", "--model", "{d}/foreign_class.pt"],
        "registered nets",
    ),
    (
        "model-huge-config",
        ["solve", "tsp", "berlin52", "--method", "model", "--model", "{d}/huge_config.pt"],
        "net size",
    ),
    ("onnx-garbage", ["play-onnx", "{d}/garbage.onnx", "--scenario", "tiny"], "not a loadable"),
    ("onnx-text", ["play-onnx", "{d}/secret.txt", "--scenario", "tiny"], "not a loadable"),
    ("checkpoint-empty", ["evaluate", "{d}/empty_ckpt"], "neither an RLlib checkpoint"),
    ("export-weights-empty", ["export", "{d}/empty_ckpt", "--weights", "{d}/w"], "neither"),
    ("export-no-out", ["export", "{d}/empty_ckpt", "--policy", "defender"], "give --out"),
    ("resume-not-a-run", ["train", "--resume", "{d}/empty_ckpt"], "not a run folder"),
    ("league-damaged", ["league", "{d}/league_run"], "not a league file"),
    # replays
    ("replay-garbage", ["replay", "{d}/garbage.npz", "--export", "{d}/o.gif"], "not a readable"),
    ("replay-text", ["replay", "{d}/secret.txt", "--export", "{d}/o.gif"], "not a readable"),
    # the parser itself
    ("unknown-option", ["rollout", "tiny", "--bogus"], "unrecognized arguments"),
    ("no-command", [], "COMMAND"),
]


@pytest.mark.parametrize("argv, needle", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_error_line(
    bad: Path, argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main([a.format(d=bad) for a in argv])
    out, err = capsys.readouterr()
    _check(rc, err, needle.format(d=bad))
    assert SECRET not in out


@pytest.mark.parametrize("kind, needle", [("nan", "NaN"), ("index", "radar_g"),
                                          ("huge", "refused before reading")])  # fmt: skip
def test_damaged_replays_are_refused(
    replays: dict[str, Path], kind: str, needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(["replay", str(replays[kind]), "--export", str(replays[kind].with_suffix(".gif"))])
    _check(rc, capsys.readouterr().err, needle)


REPLAY_CASES = [
    ("whatif-seed-negative", ["whatif", "{r}", "--at", "3", "--seed", "-1"], "--seed"),
    ("whatif-episodes-huge", ["whatif", "{r}", "--at", "3", "--episodes", "100000000"],
     "--episodes"),
    ("whatif-record-is-file", ["whatif", "{r}", "--at", "3", "--record", "{d}/afile"], "afile"),
]  # fmt: skip


@pytest.mark.parametrize(
    "argv, needle", [c[1:] for c in REPLAY_CASES], ids=[c[0] for c in REPLAY_CASES]
)
def test_bad_options_on_a_good_replay(
    bad: Path,
    replays: dict[str, Path],
    argv: list[str],
    needle: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (good,) = sorted((bad / "rec").glob("*.npz"))
    rc = main([a.format(d=bad, r=good) for a in argv])
    _check(rc, capsys.readouterr().err, needle.format(d=bad))


def test_debug_flag_shows_the_traceback(bad: Path) -> None:
    with pytest.raises(Exception, match="not UTF-8"):
        main(["--debug", "rollout", str(bad / "binary.yaml")])


def test_resume_refuses_a_run_without_checkpoint(
    bad: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = bad / "run_without_checkpoint"
    run.mkdir()
    exp = ROOT / "training" / "experiments" / "strike_small_defender.yaml"
    (run / "config.yaml").write_text(exp.read_text())
    (run / "progress.jsonl").write_text('{"iteration": 1, "env_steps": 10, "time_s": 1.0}\n')
    rc = main(["train", "--resume", str(run)])
    _check(rc, capsys.readouterr().err, "no usable checkpoint")
    assert (run / "progress.jsonl").read_text().count("iteration") == 1  # nothing deleted


# --------------------------------------------------------------------------------------
# Subprocesses: resource bombs (memory limit, time) and crafted pickles (no code runs)
# --------------------------------------------------------------------------------------
MEMORY_LIMIT = 3 * 2**30  # address space; a refusal must not need more


def _cli(args: list[str], cwd: Path, limit: int | None = MEMORY_LIMIT) -> tuple[int, str, float]:
    def cap() -> None:
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    env = {**os.environ, "AERENA_TRUST_CHECKPOINTS": "0"}
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "aerena.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=cap,
    )
    return proc.returncode, proc.stderr, time.perf_counter() - t0


BOMBS = [
    ("yaml-aliases", ["scenario", "show", "bomb.yaml"], "expands to more than"),
    (
        "uav-count",
        ["rollout", "tiny", "--set", "attacker.carriers.0.launches.0.count=100000000"],
        "UAVs (at most",
    ),
    ("battery-count", ["rollout", "tiny", "--set", "assets.0.count=1000000000"], "ground units"),
    (
        "worlds-state",
        ["rollout", "swarm_1000", "--episodes", "60000", "--worlds", "60000"],
        "GiB of state",
    ),
    ("terrain-grid", ["rollout", "tiny", "--set", "map.size=[1e9, 1e9]"], "too large"),
    ("terrain-file", ["rollout", "terrain_big.yaml"], "at most 25,000,000"),
    ("generate-n", ["solve", "tsp", "--generate", "n=10000000"], "n must be"),
    ("edges-node-id", ["solve", "mvc", "bigid.edges"], "at most 10,000,000 in a graph file"),
    ("exact-n", ["solve", "mvc", "--generate", "n=5000", "--method", "bruteforce"], "n <= 24"),
    (
        "replay-header",
        ["replay", "huge.aerena-replay.npz", "--export", "o.gif"],
        "refused before reading",
    ),
]


@pytest.mark.parametrize("argv, needle", [c[1:] for c in BOMBS], ids=[c[0] for c in BOMBS])
def test_resource_bombs_are_refused_fast(
    bad: Path, replays: dict[str, Path], argv: list[str], needle: str
) -> None:
    rc, err, wall = _cli(argv, cwd=bad)
    _check(rc, err, needle)
    assert wall < 30, f"took {wall:.1f} s"  # start-up included; the check itself is instant


def _evil_pickle(marker: Path) -> bytes:
    class Evil:
        def __reduce__(self) -> tuple:
            return (os.system, (f"touch {marker}",))

    return pickle.dumps(Evil())


def test_crafted_checkpoints_run_no_code(bad: Path) -> None:
    """A folder shaped like an RLlib checkpoint (and a league snapshot) whose pickles would
    create a marker file: evaluate, export and an opponent checkpoint refuse to open them."""
    marker = bad / "PWNED"
    evil = bad / "evil_ckpt"
    module = evil / "learner_group" / "learner" / "rl_module" / "launcher"
    module.mkdir(parents=True)
    (evil / "rllib_checkpoint.json").write_text("{}")
    (module / "class_and_ctor_args.pkl").write_bytes(_evil_pickle(marker))
    (module / "module_state.pkl").write_bytes(_evil_pickle(marker))
    forged = bad / "forged_ckpt"  # a signature file written by someone else's key
    forged_module = forged / "launcher"
    forged_module.mkdir(parents=True)
    (forged_module / "class_and_ctor_args.pkl").write_bytes(_evil_pickle(marker))
    digest = __import__("hashlib").sha256(_evil_pickle(marker)).hexdigest()
    (forged / "aerena_signature.json").write_text(
        json.dumps({"format": "aerena-checkpoint-signature/1",
                    "files": {"launcher/class_and_ctor_args.pkl": digest}, "hmac": "0" * 64})
    )  # fmt: skip
    runs = [
        (["evaluate", str(evil), "--episodes", "1"], "no signature"),
        (["export", str(evil), "--policy", "defender", "--scenario", "tiny", "--out", "m.onnx"],
         "no signature"),
        (["export", str(evil), "--weights", "w"], "no signature"),
    ]  # fmt: skip
    for argv, needle in runs:
        rc, err, _ = _cli(argv, cwd=bad, limit=None)
        assert not marker.exists(), f"{argv[0]} ran code from a pickle"
        _check(rc, err, needle)
    # league snapshots and `opponent: checkpoint` open folders through load_snapshot_modules
    from aerena.errors import UserError
    from aerena.training.league import load_snapshot_modules

    with pytest.raises(UserError, match="another aerena"):
        load_snapshot_modules(forged)
    assert not marker.exists()


@pytest.mark.parametrize("command", ["train", "rollout"])
def test_one_problem_in_a_yaml_file_is_one_located_line(
    tmp_path: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Experiment and scenario files report one problem the same way: one line,
    ``error: FILE:LINE:COL: field.path: message``."""
    if command == "train":
        path = tmp_path / "exp.yaml"
        path.write_text("name: x\nscenario: tiny\nalgorithm:\n  train_batch_size: -5\n")
        where = f"{path}:4:3: algorithm.train_batch_size: "
    else:
        path = tmp_path / "scen.yaml"
        path.write_text("extends: tiny\nepisode:\n  max_steps: -5\n")
        where = f"{path}:3:3: episode.max_steps: "
    rc = main([command, str(path)])
    err = capsys.readouterr().err
    _check(rc, err, where)
    assert len(err.strip().splitlines()) == 1 and err.startswith(f"error: {where}"), err

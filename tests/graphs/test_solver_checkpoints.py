"""Checkpoints that name the nets' modules from before the move to `aerena.agents.solvers`
(`aerena.graphs.learned.*`, as every shipped model does) load, and to the same weights as a
file naming the current module; a class outside the registered nets is still refused."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from aerena.agents.solvers.base import (  # noqa: E402
    MOVED_MODULES,
    NETS,
    build_net,
    current_spec,
    load_checkpoint,
    save_checkpoint,
)
from aerena.agents.solvers.solve import MODELS_DIR  # noqa: E402
from aerena.errors import UserError  # noqa: E402


def test_every_old_module_maps_to_a_registered_net_module():
    now = {spec.split(":")[0] for spec in NETS.values()}
    assert set(MOVED_MODULES.values()) == now
    for spec in NETS.values():
        assert current_spec(spec) == spec  # current names are left alone
    assert current_spec("aerena.graphs.learned.routing:TSPAttentionNet") == NETS["tsp"]
    assert current_spec("evil.module:Thing") == "evil.module:Thing"


@pytest.mark.parametrize("path", sorted(MODELS_DIR.glob("*.pt")), ids=lambda p: p.name)
def test_shipped_models_name_old_modules_and_load(path: Path, tmp_path: Path):
    raw = torch.load(path, map_location="cpu", weights_only=True)
    net, meta = load_checkpoint(path)
    assert current_spec(raw["class"]) == f"{type(net).__module__}:{type(net).__qualname__}"
    assert type(net).__module__.startswith("aerena.agents.solvers.")
    # saved again (now naming the current module), it loads to the same weights
    again, _ = load_checkpoint(save_checkpoint(net, tmp_path / path.name, meta))
    a, b = net.state_dict(), again.state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert torch.load(tmp_path / path.name, weights_only=True)["class"] == NETS[net.problem]


def test_unregistered_class_is_refused(tmp_path: Path):
    path = save_checkpoint(build_net("tsp", dim=8, layers=1, heads=2), tmp_path / "t.pt")
    payload = torch.load(path, weights_only=True)
    payload["class"] = "aerena.graphs.learned.routing:NotANet"
    torch.save(payload, path)
    with pytest.raises(UserError, match="not one of aerena's registered nets"):
        load_checkpoint(path)


class _Interrupted(Exception):
    pass


def _failing_save(obj, fh, *args, **kwargs):
    fh.write(b"half a checkpoint")  # a partial file, then the writer dies
    raise _Interrupted


def test_failed_save_leaves_the_old_file_intact(tmp_path: Path, monkeypatch):
    old_net = build_net("tsp", dim=8, layers=1, heads=2)
    path = save_checkpoint(old_net, tmp_path / "t.pt", meta={"command": "old"})
    before = path.read_bytes()
    monkeypatch.setattr(torch, "save", _failing_save)
    with pytest.raises(_Interrupted):
        save_checkpoint(build_net("tsp", dim=16, layers=1, heads=2), path, {"command": "new"})
    assert path.read_bytes() == before  # the old checkpoint, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.pt"]  # no temporary file left
    monkeypatch.undo()
    net, meta = load_checkpoint(path)
    assert meta == {"command": "old"} and net.config == old_net.config


def test_interrupted_save_without_an_old_file_leaves_nothing(tmp_path: Path, monkeypatch):
    def ctrl_c(obj, fh, *args, **kwargs):
        fh.write(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(build_net("tsp", dim=8, layers=1, heads=2), tmp_path / "sub" / "t.pt")
    assert list((tmp_path / "sub").iterdir()) == []  # neither a half file nor a temporary

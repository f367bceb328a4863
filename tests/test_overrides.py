"""The one dotted-override function (`aerena.scenarios.overrides.set_dotted`), used by the
scenario loader and by the experiment schema."""

from __future__ import annotations

import copy

import pytest
from pydantic import BaseModel, Field

from aerena.errors import ScenarioError
from aerena.scenarios.overrides import set_dotted
from aerena.scenarios.schema import Scenario
from aerena.training.config import Experiment, ExperimentError, experiment_for_scenario


class _Inner(BaseModel):
    k: int = 1


class _Outer(BaseModel):
    inner: _Inner = Field(default_factory=_Inner)
    items: list[_Inner] = Field(default_factory=list)
    extra: dict[str, int] = Field(default_factory=dict)
    n: int = 0


def test_sets_in_place_creates_sections_and_returns_the_path() -> None:
    data: dict = {}
    assert set_dotted(data, "inner.k", 5, _Outer) == ("inner", "k")
    assert data == {"inner": {"k": 5}}
    value = {"a": [1, 2]}
    set_dotted(data, "extra", value, _Outer)
    value["a"].append(3)  # the data holds a copy
    assert data["extra"] == {"a": [1, 2]}


def test_list_items_by_index_or_name() -> None:
    data = {"items": [{"name": "a", "k": 1}, {"name": "b", "k": 2}]}
    assert set_dotted(data, "items.b.k", 7, _Outer) == ("items", 1, "k")
    assert set_dotted(data, "items.-2.k", 8, _Outer) == ("items", 0, "k")
    assert [it["k"] for it in data["items"]] == [8, 7]
    with pytest.raises(ScenarioError, match="has no item named 'c'"):
        set_dotted(data, "items.c.k", 1, _Outer)


def test_open_mappings_take_the_rest_of_the_path_as_one_key() -> None:
    data: dict = {}
    assert set_dotted(data, "extra.a.b", 1, _Outer, open_mappings=True) == ("extra", "a.b")
    assert data == {"extra": {"a.b": 1}}
    with pytest.raises(ScenarioError, match="has no entry 'a'"):
        set_dotted({"extra": {"z": 1}}, "extra.a.b", 1, _Outer)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("inner.kk", "lbl: inner has no field 'kk'; did you mean 'k'?"),
        ("nope", "lbl: the root has no field 'nope'"),
        ("n.x", "lbl: n has no fields"),
        ("inner..k", "lbl: empty segment in the dotted path"),
    ],
)
def test_errors_name_the_label_and_the_place(key: str, message: str) -> None:
    data = {"inner": {"k": 1}}
    before = copy.deepcopy(data)
    with pytest.raises(ScenarioError) as info:
        set_dotted(data, key, 1, _Outer, label="lbl", top="the root")
    assert str(info.value).startswith(message), str(info.value)
    assert data == before


def test_scenario_and_experiment_overrides_share_it() -> None:
    data: dict = {}
    set_dotted(data, "episode.max_steps", 9)  # defaults: the scenario schema
    assert data == {"episode": {"max_steps": 9}}
    with pytest.raises(ScenarioError, match=r"^override 'seed': the scenario has no field"):
        set_dotted({}, "seed", 1, Scenario)
    cfg = experiment_for_scenario("tiny", {"overrides.episode.max_steps": 50}).config
    assert cfg.overrides == {"episode.max_steps": 50}
    with pytest.raises(ExperimentError, match=r"^--set 'seedd': the experiment has no field"):
        experiment_for_scenario("tiny", {"seedd": 1})
    assert set_dotted({}, "stop.target.value", 0.5, Experiment) == ("stop", "target", "value")

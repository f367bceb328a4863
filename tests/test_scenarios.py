"""Scenario loading: shipped files, ``extends``, overrides, located errors and the CLI.

``tests/broken_scenarios/*.yaml`` is a corpus of broken files; each states in its header
what the error message must contain (``# expect: ...``, repeatable), the line it must point
at (``# expect-line: N``) and, when the error lies in another file, that file
(``# expect-file: NAME``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from aerena.cli import main
from aerena.errors import ScenarioError
from aerena.scenarios.loader import (
    SHIPPED_DIR,
    LoadedScenario,
    apply_overrides,
    battery_units,
    json_schema,
    list_scenarios,
    load_scenario,
    load_scenario_with_source,
    parse_set_options,
    resolve_terrain_path,
    unit_names,
)
from aerena.scenarios.schema import Scenario

BROKEN_DIR = Path(__file__).parent / "broken_scenarios"
BROKEN = sorted(BROKEN_DIR.glob("*.yaml"))
SHIPPED = ["tiny", "strike_small", "saturation", "swarm_1000"]


# --------------------------------------------------------------------------------------
# Shipped scenarios
# --------------------------------------------------------------------------------------
def test_list_scenarios_has_the_shipped_ones_and_no_library():
    names = list_scenarios()
    assert set(SHIPPED) <= set(names)
    assert "base" not in names


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenario_validates(name):
    loaded = load_scenario_with_source(name)
    assert isinstance(loaded, LoadedScenario)
    sc, text, path = loaded
    assert sc.name == name
    assert path == SHIPPED_DIR / f"{name}.yaml"
    # the merged text is exactly what was validated
    assert Scenario.model_validate(yaml.safe_load(text)) == sc
    assert set(sc.types.uav) == {"strike", "decoy", "jammer", "recon"}


def test_shipped_sizes():
    def uavs(sc: Scenario) -> int:
        return sum(launch.count for c in sc.attacker.carriers for launch in c.launches)

    assert uavs(load_scenario("tiny")) == 3
    assert uavs(load_scenario("strike_small")) == 8
    assert uavs(load_scenario("saturation")) == 64
    swarm = load_scenario("swarm_1000")
    assert uavs(swarm) == 1000
    assert sum(b.count for b in swarm.defender.batteries) == 20
    assert sum(a.count for a in swarm.assets) == 30


def test_scenario_object_is_returned_as_is():
    sc = load_scenario("tiny")
    assert load_scenario(sc) is sc
    assert load_scenario(sc, episode__max_steps=50).episode.max_steps == 50


def test_abstract_library_cannot_be_loaded_directly():
    with pytest.raises(ScenarioError, match="abstract"):
        load_scenario("base")


def test_unknown_name_suggests():
    with pytest.raises(ScenarioError, match="did you mean 'strike_small'"):
        load_scenario("strike_smal")


def test_json_schema():
    out = json_schema()
    assert "properties" in out and "map" in out["properties"]
    assert "extends" in out["properties"]
    assert out["$id"].startswith("urn:aerena:scenario")


def test_battery_expansion_names():
    sc = load_scenario("swarm_1000")
    names = unit_names(sc)
    assert names["battery_0_radar"] == "radar"
    assert names["battery_19_launcher_1"] == "launcher"
    assert names["battery_3_cp"] == "command_post"
    assert names["battery_3_pd_0"] == "point_defence"
    assert names["city_9"] == "asset" and names["carrier_9"] == "carrier"
    assert len(battery_units(sc.defender.batteries[0])) == 20 * 5


# --------------------------------------------------------------------------------------
# extends
# --------------------------------------------------------------------------------------
def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_extends_deep_merge_chain_and_lists(tmp_path):
    _write(
        tmp_path / "lib" / "parent.yaml",
        "extends: tiny\n"
        "description: from the parent\n"
        "episode: {max_steps: 300, substeps: 2}\n"
        "assets:\n  - {name: a, position: [1000, 1000]}\n  - {name: b, position: [2000, 2000]}\n",
    )
    child = _write(
        tmp_path / "child.yaml",
        "extends: lib/parent.yaml\n"
        "name: child\n"
        "episode: {max_steps: 400}\n"
        "types: {uav: {strike: {rcs: 0.25}}}\n"
        "assets:\n  - {name: c, position: [3000, 3000]}\n",
    )
    sc = load_scenario(child)
    assert sc.name == "child"
    assert sc.description == "from the parent"
    assert sc.episode.max_steps == 400 and sc.episode.substeps == 2  # deep merge
    assert sc.types.uav["strike"].rcs == 0.25
    assert sc.types.uav["strike"].speed_max == 70  # kept from base.yaml
    assert [a.name for a in sc.assets] == ["c"]  # lists replaced wholesale
    assert sc.observation.k == 8  # from tiny, two levels up


def test_error_in_parent_points_into_the_parent(tmp_path):
    _write(tmp_path / "parent.yaml", "extends: tiny\nepisode:\n  max_steps: -3\n")
    child = _write(tmp_path / "child.yaml", "extends: parent.yaml\nname: child\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    msg = str(info.value)
    assert "\n" not in msg  # one problem: one located line
    assert msg.endswith("parent.yaml:3:3: episode.max_steps: expected a number >= 1, found -3")


def test_yaml_anchor_merge_keys_are_not_duplicates(tmp_path):
    path = _write(
        tmp_path / "anchors.yaml",
        "extends: tiny\nx_defaults: &d {max_steps: 150, substeps: 2}\n",
    )
    with pytest.raises(ScenarioError, match="x_defaults: unknown field"):
        load_scenario(path)
    path.write_text("extends: tiny\nepisode:\n  <<: {max_steps: 150, substeps: 2}\n  substeps: 3\n")
    sc = load_scenario(path)
    assert (sc.episode.max_steps, sc.episode.substeps) == (150, 3)


def test_terrain_file_resolved_against_the_file_that_names_it(tmp_path):
    heights = _write(tmp_path / "maps" / "heights.npy", "")
    _write(
        tmp_path / "maps" / "parent.yaml",
        "extends: tiny\nmap:\n  size: [10000, 10000]\n  terrain: {kind: file, file: heights.npy}\n",
    )
    child = _write(tmp_path / "child.yaml", "extends: maps/parent.yaml\n")
    loaded = load_scenario_with_source(child)
    assert Path(loaded.scenario.map.terrain.file) == heights.resolve()
    assert resolve_terrain_path(loaded.scenario) == heights.resolve()
    assert resolve_terrain_path(load_scenario("tiny")) is None
    data = loaded.scenario.model_dump(mode="json")
    data["map"]["terrain"]["file"] = "heights.npy"
    assert resolve_terrain_path(Scenario.model_validate(data), heights) == heights.resolve()


# --------------------------------------------------------------------------------------
# The broken corpus
# --------------------------------------------------------------------------------------
def _expectations(path: Path) -> tuple[list[str], int, str]:
    text = path.read_text(encoding="utf-8")
    fragments = re.findall(r"^# expect: (.+)$", text, re.MULTILINE)
    line = int(re.search(r"^# expect-line: (\d+)$", text, re.MULTILINE).group(1))
    file = re.search(r"^# expect-file: (\S+)$", text, re.MULTILINE)
    return fragments, line, file.group(1) if file else path.name


def test_broken_corpus_is_big_enough():
    assert len(BROKEN) >= 12


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_broken_scenario_message(path):
    fragments, line, file = _expectations(path)
    assert fragments, f"{path.name} has no '# expect:' header"
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    msg = str(info.value)
    # one problem: one `FILE:LINE:COL: message` line; several: a count, then one line each
    assert re.match(r"\d+ errors in \S+:\n", msg) or "\n" not in msg, msg
    for fragment in fragments:
        assert fragment in msg, msg
    assert re.search(rf"{re.escape(file)}:{line}:\d+: ", msg), msg


# --------------------------------------------------------------------------------------
# Overrides
# --------------------------------------------------------------------------------------
def test_kwarg_and_dotted_overrides():
    sc = load_scenario(
        "tiny",
        episode__max_steps=123,
        **{
            "attacker.carriers.carrier.altitude": 500,  # list item by name
            "defender.launchers.0.overrides": {"stock": 2},  # list item by index
            "types.uav.strike.speed_max": {"uniform": [60, 80]},
            "map.size.0": 12000,
        },
    )
    assert sc.episode.max_steps == 123
    assert sc.attacker.carriers[0].altitude == 500
    assert sc.defender.launchers[0].overrides == {"stock": 2}
    assert sc.types.uav["strike"].speed_max.uniform == (60, 80)
    assert sc.map.size == (12000, 10000)


def test_apply_overrides_creates_missing_sections_and_copies():
    data = {"name": "x"}
    out = apply_overrides(data, {"episode.max_steps": 5})
    assert out == {"name": "x", "episode": {"max_steps": 5}}
    assert data == {"name": "x"}


@pytest.mark.parametrize(
    ("key", "fragment"),
    [
        ("episode.max_step", "did you mean 'max_steps'?"),
        ("types.uav.strik.rcs", "did you mean 'strike'?"),
        ("attacker.carriers.carier.altitude", "did you mean 'carrier'?"),
        ("attacker.carriers.5.altitude", "no item 5"),
        ("types.uav.strike.speed_max.uniform", "set types.uav.strike.speed_max as a whole"),
        ("seed", "the scenario has no field 'seed'"),
    ],
)
def test_bad_override_paths(key, fragment):
    with pytest.raises(ScenarioError, match=re.escape(fragment)):
        load_scenario("tiny", **{key: 1})


def test_bad_override_value_is_located_at_the_override():
    with pytest.raises(ScenarioError, match=r"override episode\.max_steps: .*found 'x'"):
        load_scenario("tiny", episode__max_steps="x")


def test_parse_set_options():
    got = parse_set_options(["episode.max_steps=400", "map.size=[1, 2]", "name=a=b"])
    assert got == {"episode.max_steps": 400, "map.size": [1, 2], "name": "a=b"}


# --------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------
def test_cli_validate_good_and_bad(capsys):
    bad = BROKEN_DIR / "misspelt_key.yaml"
    assert main(["scenario", "validate", "tiny", str(SHIPPED_DIR / "strike_small.yaml")]) == 0
    out = capsys.readouterr().out
    assert "ok  tiny" in out and "ok  " in out.splitlines()[1]
    assert main(["scenario", "validate", "tiny", str(bad)]) == 1
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert "ok  tiny" in text
    assert f"{bad}:5:3: episode.max_stpes" in text
    assert "Traceback" not in text


def test_cli_validate_with_set(capsys):
    assert main(["scenario", "validate", "tiny", "--set", "episode.max_steps=0"]) == 1
    assert "episode.max_steps: expected a number >= 1, found 0" in capsys.readouterr().out


def test_cli_schema(capsys):
    assert main(["scenario", "schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "properties" in schema and "attacker" in schema["properties"]


def test_cli_list(capsys):
    assert main(["scenario", "list"]) == 0
    out = capsys.readouterr().out
    for name in SHIPPED:
        assert name in out
    assert "base" not in out.split()


def test_cli_show(capsys):
    assert main(["scenario", "show", "strike_small"]) == 0
    out = capsys.readouterr().out
    for word in (
        "40 x 40 km",
        "fractal",
        "launcher_north",
        "medium",
        "search",
        "range 25 km",
        "range 1-15 km",
        "radar -> cp -> launcher_south, launcher_north",
        "strike",
        "decoy",
        "jammer",
        "recon",
        "power_plant",
        "region box",
    ):
        assert word in out, word


def test_cli_show_with_overrides_and_batteries(capsys):
    assert main(["scenario", "show", "tiny", "--set", "episode.max_steps=123"]) == 0
    assert "123 steps" in capsys.readouterr().out
    assert main(["scenario", "show", "saturation"]) == 0
    out = capsys.readouterr().out
    assert "battery north" in out and "point_defence gun" in out


def test_cli_errors_exit_2_without_traceback(capsys):
    assert main(["scenario", "show", "tiny", "--set", "episode.max_step=3"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "did you mean 'max_steps'?" in err
    assert main(["scenario", "show", "no_such_scenario"]) == 2
    assert main(["scenario", "show", "tiny", "--set", "oops"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_cli_help_for_every_subcommand(capsys):
    for sub in ("validate", "schema", "list", "show"):
        with pytest.raises(SystemExit) as info:
            main(["scenario", sub, "--help"])
        assert info.value.code == 0
    assert "--set" in capsys.readouterr().out

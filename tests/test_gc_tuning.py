"""GC_FREEZE and GC_THRESHOLDS: read from the environment, refused when malformed, applied by the entry point.

`tune` changes the collector of the whole process (a freeze cannot be undone for the objects it froze), so it
is checked in a fresh Python process, and for the server as it runs in the live server's own log.
"""
import json
import subprocess
import sys

import pytest

from chat.kernel.config import Config
from conftest import ROOT


def test_the_defaults_freeze_after_start_up_with_higher_thresholds():
    config = Config(environ={})
    assert config.GC_FREEZE is True
    assert config.GC_THRESHOLDS == (5000, 20, 100)


@pytest.mark.parametrize("value, expected", [("", ()), ("1000", (1000,)), (" 700, 10 ,10 ", (700, 10, 10)),
                                             ("0,0,0", (0, 0, 0))])
def test_thresholds_are_one_to_three_whole_numbers_or_empty(value, expected):
    assert Config(environ={"GC_THRESHOLDS": value}).GC_THRESHOLDS == expected


@pytest.mark.parametrize("value", ["a", "1,2,3,4", "-1", "1.5", "700,,x"])
def test_malformed_thresholds_refuse_to_start(value):
    with pytest.raises(ValueError, match="GC_THRESHOLDS"):
        Config(environ={"GC_THRESHOLDS": value})


def _tune_in_fresh_process(settings):
    code = ("import gc, json, sys; from chat.process.gctune import tune; "
            "settings = json.loads(sys.argv[1]); settings['GC_THRESHOLDS'] = tuple(settings['GC_THRESHOLDS']); "
            "before = gc.get_threshold(); thresholds, frozen = tune(settings); "
            "print(json.dumps({'before': before, 'thresholds': thresholds, 'frozen': frozen, "
            "'counted': gc.get_freeze_count()}))")
    out = subprocess.run([sys.executable, "-c", code, json.dumps(settings)], cwd=ROOT, capture_output=True,
                         text=True, timeout=60, check=True)
    return json.loads(out.stdout)


def test_tune_sets_the_thresholds_and_freezes_what_exists():
    result = _tune_in_fresh_process({"GC_THRESHOLDS": [5000, 20, 100], "GC_FREEZE": True})
    assert result["before"] == [700, 10, 10]
    assert result["thresholds"] == [5000, 20, 100]
    assert result["frozen"] == result["counted"] > 1000  # at least the modules imported so far


def test_tune_leaves_python_alone_when_both_are_off():
    result = _tune_in_fresh_process({"GC_THRESHOLDS": [], "GC_FREEZE": False})
    assert result["thresholds"] == result["before"] == [700, 10, 10]
    assert result["frozen"] == 0


def test_the_served_process_applies_them_once_built(live_server):
    line = next((line for line in live_server.log().splitlines() if "garbage collection:" in line), "")
    assert "thresholds (5000, 20, 100)" in line, live_server.log()[-2000:]
    frozen = int(line.split(", ")[-1].split()[0])
    assert frozen > 10000  # the app, its modules, routes and schemas

"""Heartbeat facts (hub.sync.registry.register_heartbeat_fact): what domains add to the village's
heartbeat, checked on both sides. The village leaves out a fact whose provider fails or returns
the wrong kind; the upstream keeps only registered facts of their declared kind and drops the
rest. The certificates' facts riding a real sync are in tests/certs/test_heartbeat.py."""

import datetime
import logging

import pytest

from hub.sync import registry
from hub.sync.models import SyncState
from hub.sync.upstream.services import _heartbeat_clean
from hub.sync.village.run import heartbeat

VILLAGE = "1503012021"
WHEN = datetime.datetime(2026, 3, 1, 8, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=7)))


@pytest.fixture
def facts():
    """The registry as the apps left it, restored after the test (which adds its own)."""
    before = dict(registry._facts)
    yield registry
    registry._facts.clear()
    registry._facts.update(before)


@pytest.mark.parametrize(
    ("name", "kind", "says"),
    [
        ("Cert", "text", "a name is"),
        ("cert-expiry", "text", "a name is"),
        ("x" * 41, "text", "a name is"),
        ("cert_expiry", "json", "kind must be one of"),
    ],
)
def test_a_bad_name_or_kind_is_refused_and_nothing_is_registered(facts, name, kind, says):
    before = facts.heartbeat_facts()
    with pytest.raises(ValueError, match=says):
        facts.register_heartbeat_fact(name, lambda: "x", kind=kind, label="x")
    assert facts.heartbeat_facts() == before


def test_no_more_than_sixteen_facts(facts):
    for i in range(facts.FACTS_MAX - len(facts.heartbeat_facts())):
        facts.register_heartbeat_fact(f"fact_{i}", lambda: 1, kind="number", label="x")
    with pytest.raises(ValueError, match="16 facts at most"):
        facts.register_heartbeat_fact("one_more", lambda: 1, kind="number", label="x")
    # registering a name again replaces it (AppConfig.ready() may run twice)
    facts.register_heartbeat_fact("fact_0", lambda: 2, kind="number", label="y")
    assert len(facts.heartbeat_facts()) == facts.FACTS_MAX


def test_the_upstream_keeps_registered_facts_of_their_kind_and_drops_the_rest(facts):
    for kind in facts.FACT_KINDS:
        facts.register_heartbeat_fact(f"t_{kind}", lambda: None, kind=kind, label=kind)

    # given what a village (or a forger with a stolen key) could send
    sent = {
        "version": "1",
        "facts": {
            "t_datetime": WHEN.isoformat(),
            "t_number": 42,
            "t_text": "baik\x00",
            "t_warning": True,
            "unregistered": "x",
            "cert_warn": False,
        },
        "extra": {"not": "kept"},
    }
    # then the registered facts are kept (the datetime in UTC, NUL removed), the rest dropped
    assert _heartbeat_clean(sent) == {
        "version": "1",
        "facts": {
            "t_datetime": "2026-03-01T01:30:00+00:00",
            "t_number": 42,
            "t_text": "baik",
            "t_warning": True,
            "cert_warn": False,
        },
    }

    # tried: each kind with values of another kind or out of bounds: all dropped
    wrong = {
        "t_datetime": ["2026-03-01T01:30:00", "kemarin", 1764000000, "2" * 41, True],
        "t_number": ["42", True, 2**53 + 1, float("nan"), float("inf"), None, [1]],
        "t_text": [1, "x" * 101, {"a": 1}, False],
        "t_warning": [1, 0, "true", None, []],
    }
    for name, values in wrong.items():
        for value in values:
            assert _heartbeat_clean({"facts": {name: value}}) == {}, (name, value)
    # and facts that are not an object at all
    for value in ("x", [["t_number", 1]], None, 5):
        assert _heartbeat_clean({"facts": value}) == {}, value


def test_the_display_gives_labels_and_datetimes(facts):
    facts.register_heartbeat_fact("t_when", lambda: None, kind="datetime", label="Kapan")
    shown = facts.heartbeat_facts_display({"t_when": WHEN.isoformat(), "ignored": 1})
    assert shown == [{"name": "t_when", "label": "Kapan", "kind": "datetime", "value": WHEN}]
    assert facts.heartbeat_facts_display(None) == []


def test_a_failing_or_wrong_provider_is_left_out_and_the_heartbeat_goes(
    facts, db, settings, tmp_path, caplog
):
    settings.DATA_DIR = tmp_path
    facts.register_heartbeat_fact("t_ok", lambda: WHEN, kind="datetime", label="ok")
    facts.register_heartbeat_fact("t_absent", lambda: None, kind="number", label="absent")
    facts.register_heartbeat_fact("t_wrong", lambda: "tidak", kind="warning", label="wrong")

    def broken():
        raise RuntimeError("domain bug")

    facts.register_heartbeat_fact("t_broken", broken, kind="text", label="broken")

    # when the village makes its heartbeat
    with caplog.at_level(logging.WARNING, logger="hub.sync.registry"):
        beat = heartbeat(SyncState.load(), VILLAGE)

    # then the good fact rides on it (an aware datetime as ISO text in UTC), the others are
    # left out and logged, and the engine's own keys are all there
    assert beat["facts"]["t_ok"] == "2026-03-01T01:30:00+00:00"
    assert not {"t_absent", "t_wrong", "t_broken"} & set(beat["facts"])
    assert {"version", "disk_free", "backlog", "last_errors", "time"} <= set(beat)
    logged = caplog.text
    assert "t_broken failed" in logged and "domain bug" in logged
    assert "t_wrong is not a warning" in logged

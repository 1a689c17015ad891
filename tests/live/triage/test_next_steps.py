"""Every verdict class has its next step, and only the classes the model knows."""

from __future__ import annotations

from gatewatch.live.triage.model import LABELS, Drop, Event
from gatewatch.live.triage.next_steps import NEXT_STEPS


def test_every_verdict_class_has_a_next_step() -> None:
    assert set(NEXT_STEPS) == set(LABELS)
    assert all(text.strip().endswith(".") for text in NEXT_STEPS.values())


def test_a_drop_carries_the_next_step_of_its_class_in_json() -> None:
    import datetime as dt

    event = Event(dt.datetime(2026, 11, 27, tzinfo=dt.UTC), "azure", "down", "x", "q", "lane")
    for verdict in LABELS:
        drop = Drop(event, None, verdict)
        assert drop.as_json()["next_step"] == NEXT_STEPS[verdict]

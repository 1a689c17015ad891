"""The rollout journal's rules as the per-tunnel steps apply them (journal.py says why).

- Right before a tunnel changes, and before a tunnel whose options already match is skipped,
  the journal is read again: a change of that tunnel (or of the other tunnel of the connection)
  less than the timeout old, with no UP newer than it in the telemetry, is in flight, and the
  step waits for that UP first.
- Every outage-causing call is announced (a record) before it goes out; right after, the
  journal is read once more, and if another run announced the other tunnel of this connection
  first and it is in flight, ours is withdrawn and the step waits instead.
- A call that did not go out (refused, IncorrectState, throttled) is withdrawn, so nobody
  waits for an outage that never came.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatewatch.aws_rollout.errors import RolloutStopped
from gatewatch.aws_rollout.journal import (
    JournalRecord,
    JournalUnavailable,
    in_flight,
)
from gatewatch.aws_rollout.retry import THROTTLING_CODES, error_code, is_retryable
from gatewatch.aws_rollout.views import UP, TunnelView, format_time

if TYPE_CHECKING:
    from gatewatch.aws_rollout.steps import Steps, TunnelStep


def _journal_call(steps: Steps, step: TunnelStep, what: str, fn: object) -> object:
    """A journal call with the run's retry of throttling and 5xx; any other failure stops
    this tunnel, naming it and the journal's fix (nothing was modified)."""
    run = steps.run
    try:
        return run.call(what, step.vpn_id, step.n, step.ip, fn)  # type: ignore[arg-type]
    except RolloutStopped as stop:
        cause = stop.__cause__
        if isinstance(cause, JournalUnavailable):
            raise RolloutStopped(f"{step.where}: {cause}; {step.untouched}.") from cause
        raise


def _records(steps: Steps, step: TunnelStep) -> list[JournalRecord]:
    journal = steps.run.journal
    assert journal is not None
    records = _journal_call(steps, step, "GetLogEvents", journal.read)
    return list(records)  # type: ignore[call-overload]


def _open_change(steps: Steps, records: list[JournalRecord], vpn_id: str,
                 tunnel: TunnelView) -> JournalRecord | None:
    """The journaled change of `tunnel` still in flight (no UP newer than it), if any."""
    run = steps.run
    record = in_flight(records, vpn_id, tunnel.outside_ip, run.clock.now(), run.settings.timeout)
    if record is None:
        return None
    if tunnel.status == UP and (tunnel.last_status_change or 0.0) > record.at:
        return None  # back UP since that change
    return record


def wait_for_journaled(steps: Steps, step: TunnelStep, n: int, tunnel: TunnelView,
                       before: str) -> bool:
    """If the journal holds an in-flight change of tunnel `n`, wait for its UP (within the
    timeout from that change) and say so; True when it waited (the caller reads again)."""
    run, journal = steps.run, steps.run.journal
    if journal is None:
        return False
    record = _open_change(steps, _records(steps, step), step.vpn_id, tunnel)
    if record is None:
        return False
    who = "this run" if record.run_id == journal.run_id else f"run {record.run_id}"
    message = (f"tunnel {n} ({tunnel.outside_ip}) was changed by {who} at "
               f"{format_time(record.at)} ({record.kind}, rollout journal) and is not UP since; "
               f"waited for it before {before}")
    step.messages.append(message)
    run.emit(step.vpn_id, step.n, step.ip, "wait", tunnel.status,
             run.clock.now() - step.started, message)
    untouched = (step.untouched if n == step.n else
                 f"tunnel {step.n} ({step.ip}) was not touched")
    steps.wait_up(step.vpn_id, n, tunnel.outside_ip, record.at + run.settings.timeout,
                  after=record.at, why=f"after the change journaled at {format_time(record.at)}",
                  untouched=untouched)
    return True


def announce(steps: Steps, step: TunnelStep, kind: str, change: str,
             other: TunnelView) -> JournalRecord | None:
    """Write the record of the change about to go out. None: another run announced the other
    tunnel first and it is in flight, so ours was withdrawn (the caller reads again and waits).
    Without a journal: nothing to write, and the change goes ahead (returns None too, see
    `announced`)."""
    run, journal = steps.run, steps.run.journal
    assert journal is not None
    record = _journal_call(steps, step, "PutLogEvents",
                           lambda: journal.record(step.vpn_id, step.n, step.ip, kind, change))
    assert isinstance(record, JournalRecord)
    rival = _open_change(steps, _records(steps, step), step.vpn_id, other)
    if rival is not None and rival.run_id != journal.run_id and rival.order < record.order:
        withdraw(steps, step, record)
        message = (f"run {rival.run_id} announced tunnel {step.other_n} ({step.other_ip}) "
                   f"first (rollout journal); withdrew this change and waited for it")
        run.emit(step.vpn_id, step.n, step.ip, "wait", None, run.clock.now() - step.started,
                 message)
        return None
    return record


def withdraw(steps: Steps, step: TunnelStep, record: JournalRecord) -> None:
    journal = steps.run.journal
    assert journal is not None
    _journal_call(steps, step, "PutLogEvents", lambda: journal.withdraw(record))


def did_not_go_out(exc: BaseException) -> bool:
    """The call was refused, or answered IncorrectState or throttling: no change happened."""
    code = error_code(exc) or ""
    return not is_retryable(exc) or code == "IncorrectState" or code in THROTTLING_CODES

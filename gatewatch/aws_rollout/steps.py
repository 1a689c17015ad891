"""The per-tunnel steps: change a tunnel's log options, or apply its pending maintenance,
without ever taking both tunnels of a connection down.

ModifyVpnTunnelOptions "can only modify one tunnel at a time"
(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyVpnTunnelOptions.html), and
both it and ReplaceVpnTunnel
(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ReplaceVpnTunnel.html) replace the
tunnel endpoint, which interrupts that tunnel while the new endpoint is provisioned ("AWS
Site-to-Site VPN tunnel endpoint replacements",
https://docs.aws.amazon.com/vpn/latest/s2svpn/endpoint-replacements.html). A step therefore
changes its tunnel only on a fresh read showing the connection `available` and the other tunnel
UP, then waits for an UP whose LastStatusChange is newer than the call (telemetry lags, so an UP
read right after the call is stale). Every mutating call goes through `_Mutation.attempt`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from gatewatch.aws_rollout import inflight
from gatewatch.aws_rollout.errors import RolloutStopped
from gatewatch.aws_rollout.journal import MAINTENANCE, OPTIONS
from gatewatch.aws_rollout.options import LogOptions
from gatewatch.aws_rollout.reader import Reader
from gatewatch.aws_rollout.results import Action, TunnelResult
from gatewatch.aws_rollout.retry import describe_error, error_code, is_retryable
from gatewatch.aws_rollout.run import Run
from gatewatch.aws_rollout.views import (
    AVAILABLE,
    TRANSITIONAL,
    UP,
    ConnectionView,
    TimeWindow,
    TunnelView,
    format_time,
)

MODIFY = "ModifyVpnTunnelOptions"
REPLACE = "ReplaceVpnTunnel"


@dataclass
class TunnelStep:
    """Work on tunnel `n` of a connection: its partner, its time budget, what a stop leaves
    untouched, and what it has to say so far."""

    vpn_id: str
    n: int
    ip: str
    other_n: int
    other_ip: str
    started: float
    deadline: float
    untouched: str
    messages: list[str] = field(default_factory=list)
    confirm: bool = False  # the next read is of this connection alone, made right now

    @property
    def where(self) -> str:
        return f"{self.vpn_id} tunnel {self.n} ({self.ip})"


@dataclass(frozen=True)
class _Verbs:
    """How a refusal names the change: (refused to) `act`, `acting` it now, nothing was `done`."""

    act: str
    acting: str
    done: str


_CHANGE = _Verbs("change it", "changing", "modified")
_REPLACE = _Verbs("apply its maintenance", "replacing", "replaced")


@dataclass(frozen=True)
class _Tried:
    at: float  # clock reading right before the call
    error: BaseException | None  # a retryable error, already backed off; None: it went through
    yielded: bool = False  # another run announced the other tunnel first: nothing was called


def _pick(view: ConnectionView, ip: str) -> TunnelView:
    for tunnel in view.tunnels:
        if tunnel.outside_ip == ip:
            return tunnel
    raise RolloutStopped(f"{view.vpn_connection_id}: tunnel {ip} disappeared from the options")


def _down_for(before: TunnelView, seen: TunnelView) -> float:
    if before.last_status_change is None or seen.last_status_change is None:
        return 0.0
    return max(0.0, seen.last_status_change - before.last_status_change)


class _Mutation:
    """One mutating call on one tunnel, tried until it goes through; it counts its failures."""

    def __init__(self, steps: Steps, step: TunnelStep, action: str, refused: str,
                 patient: bool = True, outage: bool = True) -> None:
        self.steps, self.step, self.action, self.refused = steps, step, action, refused
        # IncorrectState: another modification is still being applied (ours from an
        # interrupted run, or someone else's); a patient call waits for it up to the deadline.
        self.patient = patient
        self.outage = outage  # the call replaces the endpoint: the tunnel goes DOWN
        self.failures = 0

    def attempt(self, call: Callable[[], object], phase: str, status: str | None,
                message: str, other: TunnelView | None = None, kind: str = OPTIONS) -> _Tried:
        """Pace to EC2's mutating bucket, stop if cancelled, mark the connection's cached reads
        stale, call. A refusal stops the rollout; a retryable error is backed off and returned,
        and the caller reads the connection again before another try (it may have gone
        through). With a journal, an outage-causing call is announced there first (and
        withdrawn if it did not go out)."""
        run, step = self.steps.run, self.step
        run.pacer.wait(self.action)
        run.check_stop()
        record = None
        if self.outage and run.journal is not None and other is not None:
            record = inflight.announce(self.steps, step, kind, message, other)
            if record is None:
                return _Tried(run.clock.now(), None, yielded=True)
            run.check_stop()
        before = run.clock.now()
        run.emit(step.vpn_id, step.n, step.ip, phase, status, before - step.started, message)
        try:
            self.steps.reader.mark_mutation(step.vpn_id)
            if self.outage:
                run.changing_now(step.vpn_id, step.n, step.ip)
            call()
        except Exception as exc:
            if record is not None and inflight.did_not_go_out(exc):
                inflight.withdraw(self.steps, step, record)
            if not is_retryable(exc):
                raise RolloutStopped(f"{step.where}: {self.refused}: {describe_error(exc)}; "
                                     f"{step.untouched}.") from exc
            self.failures += 1
            wait_out = self.patient and error_code(exc) == "IncorrectState"
            run.backoff(step.vpn_id, step.n, step.ip, self.failures, exc, self.action,
                        step.untouched, deadline=step.deadline if wait_out else None)
            return _Tried(before, exc)
        return _Tried(before, None)


class Steps:
    """The steps of one run, for one tunnel at a time; `options` is what `change` sets."""

    def __init__(self, run: Run, reader: Reader, options: LogOptions) -> None:
        self.run = run
        self.reader = reader
        self.options = options

    def begin(self, vpn_id: str, index: int, ips: list[str]) -> TunnelStep:
        n, other_n = index + 1, 2 - index
        ip, other_ip = ips[index], ips[1 - index]
        started = self.run.begin(vpn_id, n, self.run.clock.now())
        untouched = (f"tunnel {other_n} ({other_ip}) was not touched" if index == 0 else
                     f"tunnel {other_n} ({other_ip}) had already been done and was left as it is")
        return TunnelStep(vpn_id, n, ip, other_n, other_ip, started,
                          started + self.run.settings.timeout, untouched)

    def _emit(self, step: TunnelStep, phase: str, status: str | None, elapsed: float,
              message: str) -> None:
        self.run.emit(step.vpn_id, step.n, step.ip, phase, status, elapsed, message)

    def _elapsed(self, step: TunnelStep) -> float:
        return self.run.clock.now() - step.started

    # the two steps ------------------------------------------------------------------------

    def change(self, vpn_id: str, index: int, ips: list[str]) -> TunnelResult:
        """Give the tunnel `options`, in order: skip it when its options already match (if it
        is DOWN, an earlier run was interrupted mid-change: wait for it); otherwise change it
        only while the other tunnel is UP (or wait for the other tunnel if it is recovering
        with our options), then wait for its fresh UP."""
        step = self.begin(vpn_id, index, ips)
        n, ip = step.n, step.ip
        mutation = _Mutation(self, step, MODIFY, "the service refused the change")
        attempted_at: float | None = None  # a modify call that may have gone through
        while True:
            view, me, other, confirmed = self._read(step)
            self._emit(step, "check", me.status, self._elapsed(step),
                       f"{me.status}; log options {dict(me.log_options)}; lifecycle control "
                       f"{me.lifecycle_control}")
            lifecycle_ok = self.options.lifecycle_matches(me.lifecycle_control)
            if self.options.matches(me.log_options):
                if attempted_at is not None:
                    return self._await_change(step, attempted_at, me)
                if me.status == UP and not lifecycle_ok:
                    return self._lifecycle_only(step)
                if me.status == UP and inflight.wait_for_journaled(
                        self, step, n, me, "counting it as done"):
                    continue  # back UP after a change still in flight: read it again
                if me.status == UP:
                    step.messages.append("tunnel and BGP log options and lifecycle control "
                                         "already match; not modified")
                    self._emit(step, "skip", me.status, self._elapsed(step), step.messages[-1])
                    return TunnelResult(vpn_id, n, ip, Action.SKIPPED, messages=step.messages)
                step.messages.append(
                    f"log options already match but the tunnel is {me.status} since "
                    f"{format_time(me.last_status_change)} "
                    "(left mid-change by an interrupted run?); "
                    "waited for it instead of changing anything"
                )
                seen = self.wait_up(vpn_id, n, ip, step.deadline, after=None,
                                     why=f"already has the options but is {me.status}",
                                     untouched=step.untouched)
                if not lifecycle_ok:
                    return self._lifecycle_only(step)
                return TunnelResult(vpn_id, n, ip, Action.SKIPPED,
                                    seconds_down=_down_for(me, seen),
                                    seconds_waited=self._elapsed(step), messages=step.messages)
            # The other tunnel, if DOWN with our options, is recovering from our own earlier
            # (or interrupted) change: give it time instead of refusing.
            if not self._clear(step, view, other, confirmed, _CHANGE,
                               recovering=self.options.matches(other.log_options)):
                continue
            # One call sets tunnel logs, BGP logs and (if it differs) lifecycle control: the
            # log change costs the outage anyway, so the lifecycle flag rides along with it.
            # SkipTunnelReplacement is not sent: the API reference documents it as "only
            # applicable when turning on or off EnableTunnelLifecycleControl".
            tunnel_options: dict[str, object] = {
                "LogOptions": {"CloudWatchLogOptions": self.options.to_api()}}
            if not lifecycle_ok:
                tunnel_options["EnableTunnelLifecycleControl"] = self.options.lifecycle_control
            tried = mutation.attempt(
                functools.partial(self._modify, step, tunnel_options),
                "modify", me.status, f"modifying tunnel {n}: {self.options.describe()}",
                other=other)
            if tried.yielded:
                continue
            if tried.error is not None:
                if error_code(tried.error) != "IncorrectState":
                    attempted_at = tried.at  # a 5xx or dropped connection may hide a success
                continue
            self._emit(step, "modify", None, self._elapsed(step),
                       "change accepted; the tunnel will go DOWN for a few minutes")
            return self._await_change(step, tried.at, me)

    def maintain(self, vpn_id: str, index: int, ips: list[str],
                 window: TimeWindow | None) -> TunnelResult:
        """Apply this tunnel's pending maintenance (ReplaceVpnTunnel with
        ApplyPendingMaintenance), if any and if now is inside `window`, under the same rules."""
        step = self.begin(vpn_id, index, ips)
        n, ip = step.n, step.ip
        details = self.reader.maintenance(vpn_id, n, ip)
        if not details.pending:
            message = "no pending maintenance; not touched"
            self._emit(step, "skip", None, self._elapsed(step), message)
            return TunnelResult(vpn_id, n, ip, Action.SKIPPED, messages=[message])
        now = self.run.clock.now()
        if window is not None and not window.contains(now):
            message = (f"maintenance pending ({details.pending}) but {format_time(now)} is "
                       f"outside the window {window}; left for a run inside it (AWS applies it "
                       f"itself after {format_time(details.auto_applied_after)})")
            self._emit(step, "defer", None, now - step.started, message)
            return TunnelResult(vpn_id, n, ip, Action.DEFERRED, messages=[message])
        mutation = _Mutation(self, step, REPLACE, "the service refused ReplaceVpnTunnel")
        while True:
            view, me, other, confirmed = self._read(step)
            if not self._clear(step, view, other, confirmed, _REPLACE, recovering=False):
                continue
            tried = mutation.attempt(
                lambda: self.run.client.replace_vpn_tunnel(
                    VpnConnectionId=vpn_id, VpnTunnelOutsideIpAddress=ip,
                    ApplyPendingMaintenance=True),
                "replace", me.status,
                f"applying pending maintenance to tunnel {n} ({details.pending})",
                other=other, kind=MAINTENANCE)
            if tried.yielded:
                continue
            if tried.error is None or not self.reader.maintenance(vpn_id, n, ip).pending:
                break  # accepted, or it went through after all
        step.messages.append(f"maintenance applied ({details.pending})")
        result = self._await_change(step, tried.at, me, what="maintenance applied")
        result.action = Action.MAINTAINED
        return result

    # parts of the steps -------------------------------------------------------------------

    def _modify(self, step: TunnelStep, tunnel_options: dict[str, object]) -> None:
        self.run.client.modify_vpn_tunnel_options(
            VpnConnectionId=step.vpn_id, VpnTunnelOutsideIpAddress=step.ip,
            TunnelOptions=tunnel_options)

    def _read(self, step: TunnelStep) -> tuple[ConnectionView, TunnelView, TunnelView, bool]:
        """The connection (from the shared batched read, or alone and now when the last read
        asked for that), this tunnel, the other tunnel, and whether the read was made now."""
        self.run.check_stop()
        view = self.reader.describe(step.vpn_id, step.n, step.ip, alone=step.confirm)
        confirmed, step.confirm = step.confirm, False
        return view, _pick(view, step.ip), _pick(view, step.other_ip), confirmed

    def _clear(self, step: TunnelStep, view: ConnectionView, other: TunnelView,
               confirmed: bool, verbs: _Verbs, recovering: bool) -> bool:
        """Whether the tunnel may be changed on this read. If not, this has waited (connection
        `pending`, the other tunnel `recovering`) or asked for a read made now, and the caller
        reads again; it raises when a change would take both tunnels down."""
        if view.state != AVAILABLE:
            self._await_available(step, view.state)
            return False
        if other.status != UP:
            if recovering:
                step.messages.append(f"waited for tunnel {step.other_n} ({step.other_ip}) to "
                                     "be UP first")
                self.wait_up(step.vpn_id, step.other_n, step.other_ip, step.deadline,
                              after=None, why=f"must be UP before tunnel {step.n} is changed",
                              untouched=f"tunnel {step.n} ({step.ip}) was not touched")
                return False
            raise RolloutStopped(
                f"{step.where}: refused to {verbs.act} because tunnel {step.other_n} "
                f"({step.other_ip}) is {other.status} since "
                f"{format_time(other.last_status_change)}; {verbs.acting} it now would take "
                f"both tunnels down. Nothing was {verbs.done}: tunnel {step.n} was left as it "
                f"is and {step.untouched}. Bring tunnel {step.other_n} UP and rerun."
            )
        if not confirmed:
            # The batched read may be up to one poll interval old: decide on a read made now
            # (one call per change, bounded by the paced mutating rate, not by N).
            step.confirm = True
            return False
        # The other tunnel reads UP, but a change of it (ours before a kill, another run's)
        # may be in flight with telemetry not showing it yet: the journal knows.
        return not inflight.wait_for_journaled(self, step, step.other_n, other,
                                               f"tunnel {step.n} is changed")

    def _lifecycle_only(self, step: TunnelStep) -> TunnelResult:
        """Logs already match; only EnableTunnelLifecycleControl differs. Sent alone with
        SkipTunnelReplacement=True, which is what that flag is for ("AWS Site-to-Site VPN
        tunnel endpoint lifecycle control",
        https://docs.aws.amazon.com/vpn/latest/s2svpn/tunnel-endpoint-lifecycle.html): no
        tunnel replacement, so no outage and nothing to wait for (the other tunnel's state does
        not matter)."""
        wanted = bool(self.options.lifecycle_control)
        mutation = _Mutation(self, step, MODIFY, "the service refused to set lifecycle control",
                             patient=False, outage=False)
        while True:
            tried = mutation.attempt(
                lambda: self.run.client.modify_vpn_tunnel_options(
                    VpnConnectionId=step.vpn_id, VpnTunnelOutsideIpAddress=step.ip,
                    TunnelOptions={"EnableTunnelLifecycleControl": wanted},
                    SkipTunnelReplacement=True),
                "modify", UP, f"turning lifecycle control {'on' if wanted else 'off'} on tunnel "
                f"{step.n} with SkipTunnelReplacement (no outage)")
            if tried.error is None:
                break
            view = self.reader.describe(step.vpn_id, step.n, step.ip)
            if self.options.lifecycle_matches(_pick(view, step.ip).lifecycle_control):
                break  # it went through after all
        step.messages.append(f"logs already matched; lifecycle control turned "
                             f"{'on' if wanted else 'off'} without a tunnel replacement")
        self._emit(step, "changed", UP, self._elapsed(step), step.messages[-1])
        return TunnelResult(step.vpn_id, step.n, step.ip, Action.NO_OUTAGE,
                            messages=step.messages)

    def _await_available(self, step: TunnelStep, state: str) -> None:
        """One poll of a connection that is not `available`: wait while it is `pending` or
        `modifying` (a change of ours or someone else's being applied; the caller re-reads it),
        stop for any other state. Nothing is modified either way."""
        vpn_id, n, ip, deadline = step.vpn_id, step.n, step.ip, step.deadline
        nothing = (f"nothing was modified: tunnel {n} ({ip}) was left as it is and "
                   f"{step.untouched}")
        if state not in TRANSITIONAL:
            why = ("it is being deleted" if state in ("deleting", "deleted") else
                   f"only an {AVAILABLE} connection can be modified")
            raise RolloutStopped(
                f"{vpn_id} is {state or 'in an unknown state'} ({why}); stopped before "
                f"changing tunnel {n}: {nothing}. Check the VPN connection id."
            )
        now = self.run.clock.now()
        if now >= deadline:
            raise RolloutStopped(
                f"{vpn_id} was still {state} after {self.run.settings.timeout:g}s, so tunnel "
                f"{n} ({ip}) could not be changed; stopped: {nothing}. Rerun once the "
                f"connection is {AVAILABLE}."
            )
        self._emit(step, "wait", None, now - step.started,
                   f"connection is {state}; waiting for it to be {AVAILABLE} before changing "
                   f"tunnel {n} ({deadline - now:.0f}s left)")
        self.reader.sleep_tick(deadline)

    def _await_change(self, step: TunnelStep, changed_at: float, before: TunnelView,
                      what: str | None = None) -> TunnelResult:
        """Wait for the UP that follows the change (LastStatusChange newer than the call)."""
        timeout = self.run.settings.timeout
        after = max(changed_at, before.last_status_change or changed_at)
        # Nothing to learn right after the call (telemetry lags): first read at the next tick.
        self.reader.sleep_tick(changed_at + timeout)
        seen = self.wait_up(step.vpn_id, step.n, step.ip, changed_at + timeout, after=after,
                             why="after the change", untouched=step.untouched)
        self.run.changing_now(step.vpn_id, step.n, None)
        waited = self.run.clock.now() - changed_at
        down = max(0.0, (seen.last_status_change or changed_at) - changed_at)
        step.messages.append(f"{what or self.options.describe()}; UP again after about "
                             f"{down:.0f}s")
        self._emit(step, "changed", UP, waited, step.messages[-1])
        return TunnelResult(step.vpn_id, step.n, step.ip, Action.CHANGED, seconds_down=down,
                            seconds_waited=waited, messages=step.messages)

    def wait_up(self, vpn_id: str, n: int, ip: str, deadline: float, after: float | None,
                 why: str, untouched: str) -> TunnelView:
        """Poll until tunnel `ip` reports UP (with LastStatusChange > after, if given)."""
        run = self.run
        start = run.clock.now()
        while True:
            run.check_stop()
            tunnel = _pick(self.reader.describe(vpn_id, n, ip), ip)
            now = run.clock.now()
            fresh = after is None or (tunnel.last_status_change or 0.0) > after
            if tunnel.status == UP and fresh:
                run.emit(vpn_id, n, ip, "up", UP, now - start,
                         f"UP since {format_time(tunnel.last_status_change)}")
                return tunnel
            state = tunnel.status if (tunnel.status != UP or fresh) else "UP (stale, before change)"
            if now >= deadline:
                raise RolloutStopped(
                    f"{vpn_id} tunnel {n} ({ip}) was not UP {why} within "
                    f"{run.settings.timeout:g}s (last seen {state}, LastStatusChange "
                    f"{format_time(tunnel.last_status_change)}); stopped: {untouched}."
                )
            run.emit(vpn_id, n, ip, "wait", tunnel.status, now - start,
                     f"{state}; waiting for UP {why} ({deadline - now:.0f}s left)")
            self.reader.sleep_tick(deadline)

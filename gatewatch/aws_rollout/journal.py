"""The rollout journal: one CloudWatch Logs record per tunnel change, written before the call, in
a stream of its own (`gatewatch-rollout-journal`) of the kit's log group.

Why: after a change EC2's telemetry still reports the tunnel UP for a while (VgwTelemetry
lags), and the connection's `modifying` State or IncorrectState may end before the tunnel is
back. A run that was killed right after its first change, rerun at once, or a second run on the
same connections (a `pulumi up` beside the command line, two CI jobs) could then see that
tunnel UP and change the other one: both down. The journal says what the telemetry cannot yet:
a tunnel changed less than the tunnel-up timeout ago, with no UP newer than that change, is in
flight, and every run waits for it before touching the other tunnel of that connection (also
when its options already match).

- Written before every outage-causing call (ModifyVpnTunnelOptions with a log change,
  ReplaceVpnTunnel): PutLogEvents with one event, so the "events in chronological order" rule
  holds trivially, far inside the 1 MB / 10,000-event batch limits; sequence tokens are not sent
  ("PutLogEvents actions are now always accepted and never return InvalidSequenceTokenException
  or DataAlreadyAcceptedException even if the sequence token is not valid", API reference,
  https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html).
  Events older than 14 days or more than 2 hours ahead are rejected (`rejectedLogEventsInfo`,
  same page): a rejected record stops the change, nothing modified.
- Read right before every tunnel change (not only at start), so two runs see each other's
  records: GetLogEvents on the one stream from (now - timeout), oldest first, following
  `nextForwardToken` until it repeats ("If you have reached the end of the stream, it returns
  the same token you passed in",
  https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_GetLogEvents.html).
  Reads are shared: a worker asking for the journal is served by the first read that starts
  after it asked, and reads start at most every READ_INTERVAL seconds, so hundreds of
  connections cost a few reads a second, under GetLogEvents' quota of 25 requests a second per
  account and Region ("CloudWatch Logs quotas",
  https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/logs/cloudwatch_limits_cwl.html).
- Two runs writing at once for the two tunnels of one connection: after its write a run reads
  again; the earlier record (time, then run id) goes ahead, the later one is withdrawn (a
  `withdrawn` record) and waits. A refused call is withdrawn the same way.

Without the journal (the stream cannot be created, written or read) a mutating run refuses
before any change: a warning would be read after the fact, and the journal is what keeps a rerun
after Ctrl-C from taking both tunnels down. Residual: CloudWatch Logs documents no
read-after-write guarantee; two runs whose writes land within that delay of each other fall back
on the telemetry checks alone.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from gatewatch.aws import facts as aws_facts
from gatewatch.aws.sessions import session_for
from gatewatch.aws_rollout.client import NO_SDK_RETRIES
from gatewatch.aws_rollout.clock import Clock
from gatewatch.aws_rollout.retry import describe_error, error_code, is_retryable
from gatewatch.errors import BadInput

STREAM = "gatewatch-rollout-journal"
OPTIONS, MAINTENANCE, WITHDRAWN = "options", "maintenance", "withdrawn"
# A shared read starts at most this often: <= 10 reads (a page or two each) a second, under
# GetLogEvents' 25 requests a second (PutLogEvents allows 5,000: one per change needs no pacing).
READ_INTERVAL = 0.1
MAX_PAGES = 50  # a stream read over one timeout is a page or two; stop a runaway token loop


class JournalUnavailable(BadInput):
    """The journal cannot be created, written or read: nothing was (or will be) modified."""


class LogsClient(Protocol):
    """The CloudWatch Logs calls of the journal (botocore's `logs` client has them)."""

    def create_log_stream(self, *, logGroupName: str, logStreamName: str) -> Any: ...

    def put_log_events(self, *, logGroupName: str, logStreamName: str,
                       logEvents: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]: ...

    def get_log_events(self, **kwargs: Any) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class JournalRecord:
    """One tunnel change: which tunnel, options or maintenance (or a withdrawn intent), which
    run, when (epoch seconds, right before the call) and what was changed."""

    vpn_connection_id: str
    tunnel: int
    outside_ip: str
    kind: str
    run_id: str
    at: float
    change: str

    def message(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def parse(cls, text: str) -> JournalRecord | None:
        try:
            raw = json.loads(text)
            return cls(str(raw["vpn_connection_id"]), int(raw["tunnel"]),
                       str(raw["outside_ip"]), str(raw["kind"]), str(raw["run_id"]),
                       float(raw["at"]), str(raw.get("change", "")))
        except (ValueError, KeyError, TypeError):
            return None  # not ours (someone wrote to the stream): ignored

    @property
    def order(self) -> tuple[float, str]:
        return (self.at, self.run_id)


def in_flight(records: Sequence[JournalRecord], vpn_id: str, ip: str, now: float,
              window: float) -> JournalRecord | None:
    """The latest change of tunnel `ip` less than `window` seconds old that its run did not
    withdraw (another run's record of the same moment still counts); whether the tunnel is back
    UP since is for the caller to read."""
    mine = [r for r in records if r.vpn_connection_id == vpn_id and r.outside_ip == ip]
    withdrawn = {(r.run_id, r.change) for r in mine if r.kind == WITHDRAWN}
    live = [r for r in mine if r.kind != WITHDRAWN and now - r.at < window
            and (r.run_id, repr(r.at)) not in withdrawn]
    return max(live, key=lambda r: r.order, default=None)


@dataclass(frozen=True)
class JournalSpec:
    """Where the journal lives: a picklable recipe (the Pulumi dynamic provider is pickled).
    `endpoint_url` None: boto3's own (AWS_ENDPOINT_URL_CLOUDWATCH_LOGS overrides it)."""

    group_arn: str
    region: str
    endpoint_url: str | None = None
    flag: str = "--journal-group-arn"
    role_arn: str | None = None  # another account's connections: the role assumed there

    @property
    def group_name(self) -> str:
        match = aws_facts.AWS_LOG_GROUP_ARN_RE.fullmatch(self.group_arn)
        if match is None:
            raise BadInput(f"{self.flag} {self.group_arn!r} is not a CloudWatch Logs log group "
                           "ARN")
        return str(match["name"])

    def client(self, session: boto3.Session | None = None) -> LogsClient:
        """The logs client: from `session` (the caller's for this account and region), else
        one of its own (with `role_arn`, the role assumed)."""
        session = session or session_for(self.region, self.role_arn)
        logs: LogsClient = session.client("logs", region_name=self.region,
                                          endpoint_url=self.endpoint_url, config=NO_SDK_RETRIES)
        return logs

    def open(self, clock: Clock, window: float, client: LogsClient | None = None) -> Journal:
        return Journal(client or self.client(), self, clock, window)


class Journal:
    """One run's journal: its run id, the stream, and the reads and writes of records."""

    def __init__(self, logs: LogsClient, spec: JournalSpec, clock: Clock, window: float) -> None:
        self.logs, self.spec, self.clock, self.window = logs, spec, clock, window
        self.group = spec.group_name
        self.run_id = uuid.uuid4().hex[:12]
        self._lock = threading.Lock()
        self._asked = 0  # requests for a read so far
        self._served = 0  # requests the last read covers (it started after they asked)
        self._records: list[JournalRecord] = []
        self._next_read = float("-inf")

    def _refused(self, action: str, exc: BaseException) -> JournalUnavailable:
        code = error_code(exc) or ""
        fix = ("allow logs:CreateLogStream, logs:PutLogEvents and logs:GetLogEvents on the group "
               "(docs/aws-deploy-policy.json, RolloutJournal)" if "Denied" in code or
               code == "UnauthorizedOperation" else
               "create the group or name the kit's log group" if
               code == "ResourceNotFoundException" else "check the group and rerun")
        return JournalUnavailable(
            f"{self.spec.flag}: the rollout journal ({self.group}, stream {STREAM}) is not "
            f"usable: {action} failed ({describe_error(exc)}); no tunnel was changed. {fix}: "
            "without the journal a rerun after a kill could take both tunnels down")

    def check(self) -> None:
        """Before any change: the stream exists (created if missing) and can be read."""
        try:
            self.logs.create_log_stream(logGroupName=self.group, logStreamName=STREAM)
        except (ClientError, BotoCoreError) as exc:
            if error_code(exc) != "ResourceAlreadyExistsException":
                raise self._refused("CreateLogStream", exc) from None
        self.read()

    def read(self) -> list[JournalRecord]:
        """Every record of the last `window` seconds, oldest first, from a read that started
        after this call (shared with every worker asking meanwhile)."""
        with self._lock:
            self._asked += 1
            asked = self._asked
        while True:
            with self._lock:  # no clock sleep under it: a simulated clock needs every sleeper
                if self._served >= asked:
                    return list(self._records)
                wait = self._next_read - self.clock.now()
                if wait <= 0:
                    covers = self._asked
                    self._next_read = self.clock.now() + READ_INTERVAL
                    self._records = self._read_now()
                    self._served = covers
                    return list(self._records)
            self.clock.sleep(wait)

    def _read_now(self) -> list[JournalRecord]:
        now = self.clock.now()
        # endTime bounds the forward paging (without it, "the pagination doesn't terminate"
        # while events are added faster than read); a minute ahead allows another run's skew.
        kwargs: dict[str, Any] = {"logGroupName": self.group, "logStreamName": STREAM,
                                  "startTime": max(int((now - self.window) * 1000), 0),
                                  "endTime": int((now + 60.0) * 1000), "startFromHead": True}
        records: list[JournalRecord] = []
        try:
            for _ in range(MAX_PAGES):
                page = self.logs.get_log_events(**kwargs)
                records.extend(r for e in page.get("events", [])
                               if (r := JournalRecord.parse(str(e.get("message", "")))))
                token = page.get("nextForwardToken")
                if not token or token == kwargs.get("nextToken"):
                    break
                kwargs["nextToken"] = token
        except (ClientError, BotoCoreError) as exc:
            if is_retryable(exc):
                raise  # the caller backs off and reads again
            raise self._refused("GetLogEvents", exc) from None
        return records

    def write(self, record: JournalRecord) -> None:
        """One record, before the call it announces; rejected or refused: JournalUnavailable."""
        try:
            answer = self.logs.put_log_events(
                logGroupName=self.group, logStreamName=STREAM,
                logEvents=[{"timestamp": int(record.at * 1000), "message": record.message()}])
        except (ClientError, BotoCoreError) as exc:
            if is_retryable(exc):
                raise  # nothing was called yet: the caller backs off and writes again
            raise self._refused("PutLogEvents", exc) from None
        rejected = answer.get("rejectedLogEventsInfo")
        if rejected:
            raise JournalUnavailable(
                f"{self.spec.flag}: CloudWatch Logs rejected the journal record ({rejected}; "
                "events must be within 14 days back and 2 hours ahead: check this machine's "
                "clock); no tunnel was changed")

    def record(self, vpn_id: str, n: int, ip: str, kind: str, change: str) -> JournalRecord:
        record = JournalRecord(vpn_id, n, ip, kind, self.run_id, self.clock.now(), change)
        self.write(record)
        return record

    def withdraw(self, record: JournalRecord) -> None:
        """The announced call did not go out (or was refused): readers need not wait for it."""
        self.write(JournalRecord(record.vpn_connection_id, record.tunnel, record.outside_ip,
                                 WITHDRAWN, record.run_id, self.clock.now(), repr(record.at)))

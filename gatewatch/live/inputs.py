"""The flags of `doctor` and `triage`, checked before any cloud is called: each problem is
BadInput with one line naming the flag and the fix (exit 2).

Sources for the limits:
- Times: RFC 3339 "Date and Time on the Internet: Timestamps" (https://www.rfc-editor.org/rfc/
  rfc3339#section-5.6): "T" and "Z" may be lower case. The earliest time is what the logs can
  still hold: a Log Analytics workspace keeps data for at most 12 years ("Manage data retention
  in a Log Analytics workspace", https://learn.microsoft.com/azure/azure-monitor/logs/
  data-retention-configure), and a CloudWatch Logs timestamp is milliseconds after
  1970-01-01T00:00:00Z ("InputLogEvent", https://docs.aws.amazon.com/AmazonCloudWatchLogs/
  latest/APIReference/API_InputLogEvent.html).
- IP addresses: an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, RFC 4291 "IP Version 6
  Addressing Architecture" section 2.5.5.2, https://www.rfc-editor.org/rfc/rfc4291) is the IPv4
  address; both clouds log tunnel peers as IPv4 text.
- Subscription ids are GUIDs ("Get subscription and tenant IDs in the Azure portal",
  https://learn.microsoft.com/azure/azure-portal/get-subscription-tenant-id).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

from gatewatch.azure import facts as azure_facts
from gatewatch.azure.arm_ids import parse_arm_id
from gatewatch.config.model import StackConfig
from gatewatch.errors import BadInput, closest
from gatewatch.live.triage.model import iso

MAX_RANGE = dt.timedelta(days=30)  # Log Analytics keeps at least 30 days (kit minimum)
RETENTION_YEARS = 12  # Log Analytics' longest total retention
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)  # CloudWatch Logs timestamps count from here
_SINCE = re.compile(r"(?P<sign>[-+]?)(?P<n>\d+)(?P<unit>[mhd])")
_MINUTES = {"m": 1, "h": 60, "d": 24 * 60}
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
_EXAMPLE_TIME = "2026-11-27T03:00:00Z"


# --- IP addresses ---------------------------------------------------------------------------

def normalise_ip(text: str) -> str | None:
    """The address in its one canonical text (IPv4-mapped IPv6 as IPv4), None if not an IP."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def same_ip(a: str, b: str) -> bool:
    """Two addresses compared in canonical form (text that is no IP compares as text)."""
    return (normalise_ip(a) or a) == (normalise_ip(b) or b)


def remote_ip(text: str) -> str:
    normal = normalise_ip(text)
    if normal is None:
        raise BadInput(f"--remote-ip: {text!r} is not an IP address; pass the on-premises "
                       "(peer) address of the tunnel, e.g. 203.0.113.10")
    return normal


# --- the gateway, among the stack's -----------------------------------------------------------

def nearest(value: str, known: Sequence[str]) -> str | None:
    """The known value most like `value`, however far (a typo's likeliest meaning)."""
    return closest(value, known, cutoff=0.0, ignore_case=True)


def gateway(text: str | None, config: StackConfig, stack: str) -> str:
    """The name of the gateway `--gateway` names, which must be one of the stack's (ARM ids
    compare case-insensitively); "" without --gateway."""
    if text is None:
        return ""
    configured = [g.id.id for g in config.azure.gateways] if config.azure is not None else []
    if not configured:
        raise BadInput(f"--gateway: stack {stack} configures no Azure gateway "
                       "(gatewatch:azure.gateways); leave --gateway out")
    hint = nearest(text.strip(), configured)
    did_you_mean = f"; did you mean {hint}?" if hint else ""
    arm = parse_arm_id(text.strip())
    if arm is None or not arm.is_type(azure_facts.GATEWAY_ARM_TYPE):
        raise BadInput("--gateway: expected a virtual network gateway id, "
                       "/subscriptions/<id>/resourceGroups/<rg>/providers/"
                       f"{azure_facts.GATEWAY_ARM_TYPE}/<name>{did_you_mean}")
    if arm.id.lower() not in {c.lower() for c in configured}:
        raise BadInput(f"--gateway: {arm.name} is not a gateway of stack {stack} "
                       f"(gatewatch:azure.gateways){did_you_mean}")
    return arm.name


# --- the subscription ---------------------------------------------------------------------------

def subscription(value: str, flag: str) -> str:
    if not value.strip():
        raise BadInput(f"{flag}: is empty (an unset variable?); pass the subscription id "
                       "(a GUID: `az account show --query id`) or leave it out")
    if not _GUID.fullmatch(value.strip()):
        raise BadInput(f"{flag}: {value!r} is not a subscription id; pass the GUID "
                       "(`az account show --query id`), e.g. 11111111-2222-3333-4444-555555555555")
    return value.strip()


# --- the --html file ------------------------------------------------------------------------------

def html_path(text: str) -> Path:
    """Refuse a page path that cannot be written, before any cloud call; the reason precise.
    The check writes nothing that stays: a probe file in the directory is removed at once."""
    fix = "pass a file path like incident.html in a writable directory"
    if not text.strip():
        raise BadInput(f"--html: is empty (an unset variable?); {fix}")
    path = Path(text)
    if path.is_dir():
        raise BadInput(f"--html: {path} is a directory; pass a file in it, like "
                       f"{path / 'incident.html'}")
    parent = path.parent
    for ancestor in (parent, *parent.parents):
        if ancestor.exists() and not ancestor.is_dir():
            raise BadInput(f"--html: {ancestor} is a file, not a directory; {fix}")
        if ancestor.is_dir():
            break
    if not parent.is_dir():
        raise BadInput(f"--html: directory {parent} does not exist; create it or {fix}")
    # Probe the way write_page writes: a device or pipe is opened (changing nothing), a
    # regular file is replaced through a new file in its directory.
    target = path.resolve() if path.is_symlink() else path
    probed = target if _direct(target) else target.parent
    try:
        if probed is target:
            os.close(os.open(target, os.O_WRONLY | os.O_APPEND))
        else:
            with tempfile.NamedTemporaryFile(dir=probed, prefix=".gatewatch-probe-"):
                pass
    except OSError as error:
        raise BadInput(f"--html: {probed} is not writable ({error.strerror}); {fix}") from None
    return path


def _direct(path: Path) -> bool:
    """Written in place (not through a temporary file): what exists and is no regular file."""
    return path.exists() and not path.is_file()


def write_page(path: Path, text: str) -> None:
    """Write the page whole or not at all: a regular file through a temporary file in its
    directory and a rename; anything else (a device, a pipe) directly."""
    path = path.resolve() if path.is_symlink() else path  # keep the link, replace its file
    if _direct(path):
        path.write_text(text, encoding="utf-8")
        return
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- times ---------------------------------------------------------------------------------------

def earliest(now: dt.datetime) -> dt.datetime:
    """The earliest time the logs can hold: 12 years back (Log Analytics), from the next
    midnight UTC so that the time printed stays valid all day, and never before 1970."""
    day = now.date()
    try:
        back = day.replace(year=day.year - RETENTION_YEARS)
    except ValueError:  # 29 February
        back = day.replace(year=day.year - RETENTION_YEARS, day=28)
    start = dt.datetime.combine(back + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    return max(start, EPOCH)


def parse_time(flag: str, text: str, now: dt.datetime) -> dt.datetime:
    first = earliest(now)
    try:
        value = dt.datetime.fromisoformat(re.sub(r"[zZ]$", "+00:00", text.strip()))
        value = value.replace(tzinfo=dt.UTC) if value.tzinfo is None \
            else value.astimezone(dt.UTC)
    except ValueError:
        raise BadInput(f"{flag}: {text!r} is not an ISO 8601 time; write e.g. "
                       f"{_EXAMPLE_TIME}") from None
    except OverflowError:  # year 1 or 9999 shifted by its offset
        raise BadInput(f"{flag}: {text!r} is outside the times the logs can hold; give a time "
                       f"from {iso(first)} on") from None
    if value < first:
        raise BadInput(f"{flag}: {text} is before the earliest time the logs can hold "
                       f"({RETENTION_YEARS} years of Log Analytics retention); give a time "
                       f"from {iso(first)} on")
    return value


def since(text: str) -> dt.timedelta:
    match = _SINCE.fullmatch(text.strip())
    if match is None:
        raise BadInput(f"--since: {text!r} is not a duration; write e.g. 30m, 2h or 1d")
    minutes = int(match["n"]) * _MINUTES[match["unit"]]
    if match["sign"] == "-" or minutes == 0:
        raise BadInput(f"--since: {text} must be a positive duration; write e.g. 30m, 2h or 1d")
    if minutes > MAX_RANGE.total_seconds() // 60:
        raise BadInput(f"--since: {text} is longer than {MAX_RANGE.days} days; narrow the range")
    return dt.timedelta(minutes=minutes)


def time_range(since_: str | None, from_: str | None, to: str | None, now: dt.datetime
               ) -> tuple[dt.datetime, dt.datetime]:
    if since_ is not None:
        if from_ is not None or to is not None:
            raise BadInput("--since: give either --since or --from/--to, not both")
        return now - since(since_), now
    if from_ is None or to is None:
        raise BadInput("--from/--to: give both (ISO 8601), or --since 2h")
    start, end = parse_time("--from", from_, now), parse_time("--to", to, now)
    if start >= end:
        raise BadInput("--to: must be later than --from")
    if end - start > MAX_RANGE:
        raise BadInput(f"--from/--to: the range is longer than {MAX_RANGE.days} days; narrow it")
    if start > now:
        raise BadInput("--from: is in the future")
    return start, min(end, now)

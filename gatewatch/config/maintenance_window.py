"""gatewatch:azure.maintenanceWindow: customer-controlled gateway maintenance, a daily window
in the gateways' region ("Configure customer-controlled gateway maintenance for VPN Gateway",
https://learn.microsoft.com/azure/vpn-gateway/customer-controlled-gateway-maintenance). The
rules across keys (which gateways the window takes) are AzureConfig's, in
gatewatch/config/azure.py."""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Final

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    StrictStr,
    WithJsonSchema,
)

from gatewatch.azure import facts as azure_facts
from gatewatch.config.azure_values import Region
from gatewatch.config.base import ConfigModel
from gatewatch.config.fields import Text, fail


def _hours(value: Any) -> int:
    lo, hi = azure_facts.MAINTENANCE_MIN_HOURS, azure_facts.MAINTENANCE_MAX_HOURS
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(f"{value!r} must be a whole number of hours",
                   f"write a whole number (no quotes, no fraction) from {lo} to {hi}")
    if value < lo:
        raise fail(f"{value} hours is shorter than Azure's minimum gateway maintenance window",
                   f"use a whole number of hours from {lo} to {hi}")
    if value > hi:
        raise fail(f"{value} hours does not fit in a day; the window recurs daily",
                   f"use a whole number of hours from {lo} to {hi}")
    return value


def _unquoted_time(value: Any) -> Any:
    """YAML 1.1 reads an unquoted 01:00 as the base-60 number 60."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        hh_mm = f"{value // 60:02d}:{value % 60:02d}"
        raise fail(f"YAML read the unquoted time {hh_mm} as the number {value}",
                   f'keep the format and quote it: "{hh_mm}"')
    return value


def _windows_time_zone(value: str) -> None:
    if "/" in value or not re.fullmatch(r"[A-Za-z][-A-Za-z0-9 .+()]{1,63}", value):
        raise fail(f"'{value}' is not a Windows time zone id",
                   "use the Windows id Azure expects, like Tokyo Standard Time or UTC "
                   "(Asia/Tokyo is the IANA name); `tzutil /l` lists them")


def _daily(value: str) -> None:
    if value != azure_facts.MAINTENANCE_RECUR_EVERY:
        raise fail(f"'{value}' is not supported: gateway maintenance windows recur daily",
                   f"remove recurEvery or set it to {azure_facts.MAINTENANCE_RECUR_EVERY}")


HhMm = Annotated[StrictStr, BeforeValidator(_unquoted_time), Text(
    r"(?:[01]\d|2[0-3]):[0-5]\d", what="a time like 01:00",
    fix="write the window's start as HH:MM (24-hour clock, quoted in YAML)")]
Hours = Annotated[int, PlainValidator(_hours), WithJsonSchema({
    "type": "integer", "minimum": azure_facts.MAINTENANCE_MIN_HOURS,
    "maximum": azure_facts.MAINTENANCE_MAX_HOURS})]
WindowsTimeZone = Annotated[StrictStr, Text(None, what="a Windows time zone id", fix="",
                                            check=_windows_time_zone)]
IsoDate = Annotated[StrictStr, Text(r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])",
                                    what="a date like 2025-01-01",
                                    fix="write the first day as YYYY-MM-DD")]
Recurrence = Annotated[StrictStr, Text(None, what="Day", fix="", check=_daily)]
MAINTENANCE_WINDOW_PATH: Final = "gatewatch:azure.maintenanceWindow"


class MaintenanceWindowConfig(ConfigModel):
    """Customer-controlled gateway maintenance: a daily window of `duration_hours` from
    `start` (HH:MM, in `time_zone`, a Windows time zone id), in the gateways' region."""

    example: ClassVar[str] = '{start: "01:00", durationHours: 5, timeZone: Tokyo Standard Time}'
    # `location` may be left out of the file: AzureConfig fills in azure.location.
    model_config = ConfigDict(json_schema_extra=lambda schema: schema["required"].remove(
        "location"))

    start: HhMm = Field(description="Daily start, HH:MM (quoted), in timeZone.")
    duration_hours: Hours = Field(description="Length of the window in hours (5-23).")
    time_zone: WindowsTimeZone = Field(
        description="Windows time zone id, like Tokyo Standard Time.")
    # None: the date is fixed when the configuration is first created (tomorrow, UTC) and
    # kept in state (components.creation_date); Azure rejects a start date in the past.
    start_date: IsoDate | None = Field(
        default=None,
        description="First day, YYYY-MM-DD (quoted), today or later when the configuration is "
                    "first created; absent: the first `pulumi up` fixes it to the next day "
                    "(UTC) and keeps it in state.")
    recur_every: Recurrence = Field(
        default=azure_facts.MAINTENANCE_RECUR_EVERY,
        description="Day (the only recurrence Azure offers).")
    location: Region = Field(
        description="Region of the gateways in the window; absent: azure.location.")

    @property
    def key_path(self) -> str:
        return MAINTENANCE_WINDOW_PATH

    @property
    def duration(self) -> str:
        """Azure's "HH:MM" duration."""
        return f"{self.duration_hours:02d}:00"

    def start_date_time(self, date: str) -> str:
        """Azure's "YYYY-MM-DD HH:MM" start on `date`."""
        return f"{date} {self.start}"

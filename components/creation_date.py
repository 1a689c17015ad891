"""A date fixed when a resource is first created, kept in Pulumi's state afterwards.

Why: Azure's maintenance configuration start date "can be set to either the current date or
future date" (Microsoft.Maintenance 2023-10-01-preview, MaintenanceWindow.startDateTime). A
fixed date in the program is in the past for every stack created after it; `today` in the
program moves every day, so every later `pulumi preview` would show a diff. This dynamic
resource answers the question the program cannot (what was deployed?) the way the engine
does: the first `pulumi up` creates it with tomorrow's UTC date (the current or a future date
in every time zone, UTC-12 to UTC+14); the date lives in the stack's state and every later
run reads it back unchanged, so there is no diff. Changing `keepers` (the window's start time)
updates it to a new tomorrow, because that update sends a new startDateTime, which Azure then
judges by the same rule. Like Terraform's time_static with triggers, without a new provider.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ResourceProvider, UpdateResult

DATE_KEY = "creationDate"
KEEPERS_KEY = "keepers"


def tomorrow_utc(now: dt.datetime | None = None) -> str:
    """Tomorrow's date in UTC: never before the current date in any time zone."""
    moment = now or dt.datetime.now(dt.UTC)
    return (moment.astimezone(dt.UTC).date() + dt.timedelta(days=1)).isoformat()


class CreationDateProvider(ResourceProvider):
    """create: tomorrow (UTC); diff: only a change of keepers; update: a new tomorrow."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        date = tomorrow_utc()
        return CreateResult(id_=f"creation-date-{date}", outs={**props, DATE_KEY: date})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = olds.get(KEEPERS_KEY) != news.get(KEEPERS_KEY)
        return DiffResult(changes=changed, replaces=[], delete_before_replace=False)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs={**news, DATE_KEY: tomorrow_utc()})


class CreationDate(pulumi.dynamic.Resource):
    """`creation_date` (YYYY-MM-DD): unknown in the first preview, then fixed in state."""

    creationDate: pulumi.Output[str]

    def __init__(self, name: str, keepers: Mapping[str, str],
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(CreationDateProvider(), name,
                         {KEEPERS_KEY: dict(keepers), DATE_KEY: None}, opts)

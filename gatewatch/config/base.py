"""What every section of the stack config shares: the base model, and the one value type both
clouds take (an email address, for Azure's alerts and AWS's alarm topic)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StrictStr
from pydantic.alias_generators import to_camel

from gatewatch.config.fields import Text, duplicates
from gatewatch.errors import SECRET_PLACEHOLDER


class ConfigModel(BaseModel):
    """Frozen, camelCase keys in YAML, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel,
                              validate_by_alias=True, validate_by_name=False,
                              validate_default=False)


_EMAIL = r"[^@\s,;]+@[^@\s,;]+\.[A-Za-z]{2,}"
Email = Annotated[StrictStr, Text(
    _EMAIL, what="an email address", secret_ok=True,
    fix="write one address per list entry, like netops@example.com")]


def emails_once(emails: tuple[str, ...]) -> tuple[str, ...]:
    """A field validator: each mailbox once. Mail is delivered per mailbox, and mailboxes
    ignore case: Ops@x and ops@x are one."""
    duplicates(emails, lambda e: None if e == SECRET_PLACEHOLDER else e.lower(), (),
               "address", why=" (addresses that differ only in case are one mailbox)").check()
    return emails

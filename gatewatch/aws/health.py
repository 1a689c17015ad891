"""The AWS Health events the kit forwards: scheduled tunnel endpoint maintenance of
Site-to-Site VPN, as an EventBridge pattern."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def health_event_pattern() -> str:
    """EventBridge pattern for AWS Health scheduled changes of Site-to-Site VPN (tunnel
    endpoint maintenance). source aws.health and detail-type "AWS Health Event": Amazon
    EventBridge events reference, "AWS Health events"; detail.service and
    detail.eventTypeCategory (issue | accountNotification | scheduledChange | investigation):
    AWS Health User Guide, "Reference: AWS Health events Amazon EventBridge schema". The
    service code "VPN" is the one AWS Health uses for Site-to-Site VPN (AWS_VPN_* event types);
    not checked against a live event here."""
    pattern: Mapping[str, Any] = {
        "source": ["aws.health"],
        "detail-type": ["AWS Health Event"],
        "detail": {"service": ["VPN"], "eventTypeCategory": ["scheduledChange"]},
    }
    return json.dumps(pattern, sort_keys=True)

"""The AWS stack config of the dashboard, Health event and query definition tests."""

from __future__ import annotations

import copy
from typing import Any

VPN_A, VPN_B = "vpn-0a1b2c3d4e5f60718", "vpn-0fedcba9876543210"
CONFIG: dict[str, Any] = {"gatewatch:aws": {"region": "ap-northeast-1",
                                            "vpnConnections": [VPN_A, VPN_B],
                                            "alarmEmails": ["netops@example.com"]}}


def config(**changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(CONFIG)
    out["gatewatch:aws"].update(changes)
    return out

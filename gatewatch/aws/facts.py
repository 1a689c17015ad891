"""AWS facts with one home: the Site-to-Site VPN and CloudWatch constants the components, the
config model, the rollout, the policy pack and the read-only path share.

Sources: "AWS Site-to-Site VPN logs" (https://docs.aws.amazon.com/vpn/latest/s2svpn/
monitoring-logs.html), "Monitoring your Site-to-Site VPN connection using Amazon CloudWatch",
"Amazon CloudWatch pricing" (https://aws.amazon.com/cloudwatch/pricing/), and pulumi-aws's type
tokens.
"""

from __future__ import annotations

import re
from typing import Final

AWS_VPN_CONNECTION_TYPE: Final = "aws:ec2/vpnConnection:VpnConnection"
# Shapes of a Site-to-Site VPN connection id and a region code (use with fullmatch).
AWS_VPN_ID_RE: Final = re.compile(r"vpn-[0-9a-f]{8,17}")
AWS_REGION_RE: Final = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")
# An IAM role ARN (role names: letters, digits and +=,.@_- with /path/ segments; "IAM
# identifiers", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html).
AWS_ROLE_ARN_RE: Final = re.compile(
    r"arn:aws[a-z-]*:iam::(?P<account>\d{12}):role/(?P<name>[\w+=,.@/-]{1,512})")
# The AWS tunnel-logs rollout resource is a Pulumi dynamic resource: its token is
# `pulumi-python:dynamic:Resource`, or `pulumi-python:dynamic/<module>:<Name>` for a subclass.
DYNAMIC_TYPE_PREFIX: Final = "pulumi-python:dynamic"
AWS_LOG_GROUP_TYPE: Final = "aws:cloudwatch/logGroup:LogGroup"

# AWS/VPN metric of a tunnel's state: 1 up (BGP: established), 0 down.
AWS_VPN_METRIC_NAMESPACE: Final = "AWS/VPN"
AWS_TUNNEL_STATE_METRIC: Final = "TunnelState"

# A measured sample: one idle tunnel (AWS defaults, Azure peer) logged 1,421,776 bytes in about
# half a day, which the author extrapolated to about 81 MB a month.
TUNNEL_LOG_BYTES_PER_HALF_DAY: Final = 1_421_776


# CloudWatch list prices (USD, us-east-1, standard tier) used for the plan's cost estimate; no
# price API is reachable offline, so these are stated assumptions: check your region's page.
CLOUDWATCH_VENDED_LOGS_INGEST_USD_PER_GB: Final = 0.50
CLOUDWATCH_LOGS_STORAGE_USD_PER_GB_MONTH: Final = 0.03
CLOUDWATCH_STANDARD_ALARM_USD_PER_MONTH: Final = 0.10

# CloudWatch Logs output formats a Site-to-Site VPN tunnel accepts (LogOutputFormat).
AWS_LOG_OUTPUT_FORMATS: Final[tuple[str, ...]] = ("json", "text")
# A CloudWatch Logs log group ARN, with or without the ":*" suffix describe-log-groups prints
# (use with fullmatch; groups: region, account, name).
AWS_LOG_GROUP_ARN_RE: Final = re.compile(
    r"arn:aws[a-z-]*:logs:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):log-group:"
    r"(?P<name>[A-Za-z0-9_./#-]{1,512})(:\*)?"
)

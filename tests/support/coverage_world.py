"""An estate across clouds, subscriptions and regions for `gatewatch coverage`, served by the
stand-ins: Resource Graph (through the Azure stand-in, HTTPS) and EC2 (one stand-in playing
every region by the SigV4 scope of each request), reached through the product's documented
overrides (GATEWATCH_ARM_ENDPOINT, AWS_ENDPOINT_URL_EC2), with stack files written by the test.

`COVERAGE` is the scene the tests and the README example share: `estate()` builds it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import botocore.session
import pytest

from tests.support.live_world import _sharing_loader, azure_standin
from tests.support.stacks import gateway_id
from tests.support.standins.azure import AzureStandIn
from tests.support.standins.ec2 import Ec2StandIn

SUB_A = "11111111-2222-3333-4444-555555555555"
SUB_B = "66666666-7777-8888-9999-000000000000"
SUB_HIDDEN = "99999999-8888-7777-6666-555555555555"  # the login cannot read it
HOME_REGION = "us-east-1"
# (RegionName, OptInStatus) as DescribeRegions reports them
REGIONS = [("ap-northeast-1", "opt-in-not-required"), ("eu-west-1", "opt-in-not-required"),
           ("us-east-1", "opt-in-not-required"), ("ap-east-1", "opted-in"),
           ("me-south-1", "not-opted-in")]
VPN_TOKYO = "vpn-0a1b2c3d4e5f60718"
VPN_TOKYO_2 = "vpn-0c0ffee0c0ffee001"
VPN_VIRGINIA = "vpn-0123456789abcdef0"
VPN_IRELAND = "vpn-0feedface0000001e"
VPN_HONG_KONG = "vpn-0abcabcabc0000002"
VPN_BAHRAIN = "vpn-0babababab0000003"  # in a region the account has not enabled
VPN_DELETED = "vpn-0deadbeef0000004d"


HUB = gateway_id("rg-hub-network", "vpngw-hub-01", SUB_A)
LEGACY = gateway_id("rg-branch-legacy", "vpngw-branch-legacy", SUB_A)
PARTNER = gateway_id("rg-partner-network", "vpngw-partner", SUB_B)
SHADOW = gateway_id("rg-team-x", "vpngw-created-in-portal", SUB_A)
EXPRESS = gateway_id("rg-er", "ergw-01", SUB_B)
HIDDEN = gateway_id("rg-other", "vpngw-other-tenant-team", SUB_HIDDEN)


def azure_section(*gateway_ids: str) -> str:
    lines = "\n".join(f"      - id: {g}" for g in gateway_ids)
    return f"""\
  gatewatch:azure:
    location: japaneast
    resourceGroupName: rg-gatewatch
    workspace:
      name: log-gatewatch
    gateways:
{lines}
    alerts:
      emails:
        - netops@example.com
"""


def aws_section(region: str, *vpn_ids: str, endpoint: str | None = None) -> str:
    lines = "\n".join(f"      - {v}" for v in vpn_ids)
    extra = f"    ec2EndpointUrl: {endpoint}\n" if endpoint else ""
    return f"  gatewatch:aws:\n    region: {region}\n    vpnConnections:\n{lines}\n{extra}"


@dataclass
class CoverageWorld:
    tmp: Path
    azure: AzureStandIn
    ec2: Ec2StandIn
    azure_url: str

    def stack(self, name: str, *sections: str) -> Path:
        path = self.tmp / f"Pulumi.{name}.yaml"
        path.write_text("config:\n" + "".join(sections), encoding="utf-8")
        return path

    def estate(self) -> CoverageWorld:
        """Five gateways in three subscriptions (one unreadable), six connections in five
        regions (one not enabled, one deleted)."""
        graph = self.azure.graph
        graph.readable = {SUB_A, SUB_B}
        for gw, kind, vpn in ((HUB, "Vpn", "RouteBased"), (LEGACY, "Vpn", "PolicyBased"),
                              (PARTNER, "Vpn", "RouteBased"), (SHADOW, "Vpn", "RouteBased"),
                              (EXPRESS, "ExpressRoute", ""), (HIDDEN, "Vpn", "RouteBased")):
            parts = gw.split("/")
            graph.add_gateway(parts[2], parts[4], parts[-1], gateway_type=kind, vpn_type=vpn)
        self.ec2.regions = list(REGIONS)
        for vpn, region in ((VPN_TOKYO, "ap-northeast-1"), (VPN_TOKYO_2, "ap-northeast-1"),
                            (VPN_VIRGINIA, "us-east-1"), (VPN_IRELAND, "eu-west-1"),
                            (VPN_HONG_KONG, "ap-east-1"), (VPN_BAHRAIN, "me-south-1"),
                            (VPN_DELETED, "ap-northeast-1")):
            self.ec2.add_connection(vpn_connection_id=vpn, region=region)
        self.ec2.delete_connection(VPN_DELETED, deleting_seconds=0.0)
        return self

    def mutating_calls(self) -> list[str]:
        """Anything either stand-in saw that is not a read."""
        ec2 = [c.action for c in self.ec2.calls
               if c.action not in ("DescribeRegions", "DescribeVpnConnections")]
        azure = [f"{m} {p}" for m, p in self.azure.requests if m not in ("GET",) and
                 p.lower() != "/providers/microsoft.resourcegraph/resources"]
        return ec2 + azure


@contextlib.contextmanager
def coverage_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CoverageWorld]:
    monkeypatch.setattr(botocore.session, "create_loader", _sharing_loader)
    ec2 = Ec2StandIn()
    with azure_standin(tmp_path, monkeypatch) as (azure, azure_url), ec2.serve() as ec2_url:
        monkeypatch.delenv("AWS_REGION", raising=False)
        monkeypatch.setenv("AWS_DEFAULT_REGION", HOME_REGION)
        monkeypatch.setenv("AWS_ENDPOINT_URL_EC2", ec2_url)
        monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
        monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        yield CoverageWorld(tmp_path, azure, ec2, azure_url)

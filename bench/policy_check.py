"""Benchmark: `gatewatch policy check` over organisation-sized stack exports.

Writes a synthetic `pulumi stack export` (deployment version 3) of N resources per size, shaped
like many teams' network stacks in one file: per block of 10 resources an azure-native VPN
gateway with its diagnostic setting (matched by id), a classic gateway with its setting (matched
through propertyDependencies, as in a preview), a workspace, a scheduled query rule with a
managed identity, a role assignment on a resource group, an AWS VPN connection logging both
tunnels, its log group with retention, and a resource group. Every 50th block leaves its
azure-native gateway without a setting, so the check has mandatory violations to report (and the
benchmark checks it found exactly those: a fast wrong answer does not count).

Runs the real command (`python -m gatewatch policy check FILE --json`, in a subprocess, so the
figure includes start-up and reading the file) and prints wall seconds and peak RSS per size.

    .venv/bin/python bench/policy_check.py [--sizes 10000,100000] [--root DIR]

`--root` runs the command of another checkout (e.g. the code before a change) on the same files.
Goal: 100k resources under 10 s.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SUB = "11111111-2222-3333-4444-555555555555"
FIVE_LOGS = [{"category": c, "enabled": True} for c in (
    "GatewayDiagnosticLog", "TunnelDiagnosticLog", "RouteDiagnosticLog", "IKEDiagnosticLog",
    "P2SDiagnosticLog")]
BLOCK = 10
MISSING_EVERY = 50  # every 50th block: the azure-native gateway has no diagnostic setting


def _urn(type_: str, name: str) -> str:
    return f"urn:pulumi:org::estate::{type_}::{name}"


def _res(type_: str, name: str, *, id_: str = "", inputs: dict[str, Any] | None = None,
         outputs: dict[str, Any] | None = None,
         property_dependencies: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"urn": _urn(type_, name), "type": type_, "custom": True, "id": id_,
            "inputs": inputs or {}, "outputs": outputs or {}, "parent": "",
            "dependencies": sorted({u for deps in (property_dependencies or {}).values()
                                    for u in deps}),
            "propertyDependencies": property_dependencies or {}}


def _block(i: int) -> list[dict[str, Any]]:
    rg = f"rg-net-{i}"
    rg_id = f"/subscriptions/{SUB}/resourceGroups/{rg}"
    gw_id = f"{rg_id}/providers/Microsoft.Network/virtualNetworkGateways/vpngw-{i}"
    ws_id = f"{rg_id}/providers/Microsoft.OperationalInsights/workspaces/log-{i}"
    classic_id = f"{rg_id}/providers/Microsoft.Network/virtualNetworkGateways/classic-{i}"
    classic = _res("azure:network/virtualNetworkGateway:VirtualNetworkGateway", f"classic-{i}",
                   id_=classic_id, inputs={"type": "Vpn", "vpnType": "RouteBased",
                                           "name": f"classic-{i}", "resourceGroupName": rg})
    out = [
        _res("azure-native:resources:ResourceGroup", rg, id_=rg_id,
             inputs={"resourceGroupName": rg}),
        _res("azure-native:network:VirtualNetworkGateway", f"vpngw-{i}", id_=gw_id,
             inputs={"gatewayType": "Vpn", "vpnType": "RouteBased", "resourceGroupName": rg,
                     "virtualNetworkGatewayName": f"vpngw-{i}"}),
        classic,
        _res("azure:monitoring/diagnosticSetting:DiagnosticSetting", f"classic-{i}-diag",
             id_=f"{classic_id}|gatewatch",
             inputs={"targetResourceId": classic_id, "logAnalyticsWorkspaceId": ws_id,
                     "enabledLogs": [{"category": c["category"]} for c in FIVE_LOGS]},
             property_dependencies={"targetResourceId": [classic["urn"]]}),
        _res("azure-native:operationalinsights:Workspace", f"log-{i}", id_=ws_id,
             inputs={"workspaceName": f"log-{i}", "retentionInDays": 90}),
        _res("azure-native:monitor:ScheduledQueryRule", f"rule-{i}",
             inputs={"identity": {"type": "UserAssigned"}, "scopes": [ws_id]}),
        _res("azure-native:authorization:RoleAssignment", f"reader-{i}",
             inputs={"scope": rg_id, "principalId": f"p-{i}"}),
        _res("aws:ec2/vpnConnection:VpnConnection", f"vpn-{i}", id_=f"vpn-{i:017x}",
             inputs={f"tunnel{t}LogOptions": {"cloudwatchLogOptions": {
                 "logEnabled": True, "bgpLogEnabled": True}} for t in (1, 2)}),
        _res("aws:cloudwatch/logGroup:LogGroup", f"tunnels-{i}",
             inputs={"name": f"/aws/vpn/{i}", "retentionInDays": 90}),
    ]
    if i % MISSING_EVERY != 0:
        out.append(_res("azure-native:monitor:DiagnosticSetting", f"vpngw-{i}-diag",
                        id_=f"{gw_id}/providers/microsoft.insights/diagnosticSettings/gatewatch",
                        inputs={"resourceUri": gw_id, "workspaceId": ws_id, "logs": FIVE_LOGS}))
    else:
        out.append(_res("azure-native:resources:ResourceGroup", f"{rg}-spare",
                        id_=f"{rg_id}-spare", inputs={"resourceGroupName": f"{rg}-spare"}))
    assert len(out) == BLOCK
    return out


def write_export(path: Path, size: int) -> int:
    """Write an export of `size` resources (a multiple of 10); return the expected number of
    mandatory violations."""
    blocks = size // BLOCK
    resources = [r for i in range(blocks) for r in _block(i)]
    path.write_text(json.dumps({"version": 3, "deployment": {
        "manifest": {"time": "2026-11-27T00:00:00Z", "version": "v3.272.0"},
        "resources": resources}}), encoding="utf-8")
    return sum(1 for i in range(blocks) if i % MISSING_EVERY == 0)


def run_check(root: Path, export: Path, timeout: float) -> tuple[float, int, dict[str, Any]]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "gatewatch", "policy", "check", str(export),
                             "--json"], cwd=root, capture_output=True, text=True,
                            timeout=timeout, check=False)
    seconds = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if result.returncode not in (0, 1):
        raise SystemExit(f"policy check exited {result.returncode}: {result.stderr.strip()}")
    # ru_maxrss of children is the largest child so far: report it only when it grew.
    return seconds, peak_kb if peak_kb > before else 0, json.loads(result.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000",
                        help="comma-separated resource counts (multiples of 10)")
    parser.add_argument("--root", default=str(ROOT), help="checkout whose command to run")
    parser.add_argument("--timeout", type=float, default=900.0)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"policy check over synthetic stack exports ({args.root})")
    print(f"{'resources':>10} {'file MB':>8} {'seconds':>8} {'peak MB':>8}  violations")
    with tempfile.TemporaryDirectory(prefix="gatewatch-bench-") as tmp:
        for size in sizes:
            export = Path(tmp) / f"export-{size}.json"
            expected = write_export(export, size)
            seconds, peak_kb, outcome = run_check(Path(args.root), export, args.timeout)
            mandatory = [v for v in outcome["violations"] if v["enforcementLevel"] == "mandatory"]
            if len(mandatory) != expected or outcome["violations"] != mandatory:
                raise SystemExit(f"{size}: expected {expected} mandatory violations only, got "
                                 f"{len(mandatory)} of {len(outcome['violations'])}")
            peak = f"{peak_kb / 1024:8.0f}" if peak_kb else f"{'-':>8}"
            print(f"{size:>10} {export.stat().st_size / 1e6:8.1f} {seconds:8.2f} {peak}  "
                  f"{len(mandatory)} mandatory (as expected)", flush=True)
            export.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())

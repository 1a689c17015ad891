"""When the Azure logs hold nothing for the tunnel asked about, say so, name what was searched
and the closest value they do hold: a typo in --remote-ip or a gateway without records must
not read as "no drops".

The values the logs hold come from the kit's own saved query `tunnel-history` run for every
tunnel (its RemoteIP and GatewayName tunables left empty, as the file documents: "empty =
every tunnel"), over the same range; it runs only when the tunnel's own queries found nothing.
AzureDiagnostics logs the gateway's name upper case in `Resource` ("Troubleshoot Azure VPN
Gateway using diagnostic logs", https://learn.microsoft.com/azure/vpn-gateway/
troubleshoot-vpn-with-azure-diagnostics); it is shown as the stack config spells it.
"""

from __future__ import annotations

from collections.abc import Sequence

from gatewatch.live.inputs import nearest, normalise_ip, same_ip
from gatewatch.live.readers import AzureReads
from gatewatch.live.triage.collect import saved_query
from gatewatch.live.triage.model import AZURE, Timeline

# The tunnel's own Azure queries: records from either mean the logs know the tunnel.
TUNNEL_SOURCES = ("queries/tunnel-history.yaml", "queries/ike-parse.yaml")


def azure_has_tunnel(timeline: Timeline) -> bool:
    return any(e.cloud == AZURE and e.source in TUNNEL_SOURCES for e in timeline.events)


def absence_note(reader: AzureReads, customer_id: str, timeline: Timeline, gateway_name: str,
                 configured: Sequence[str]) -> str | None:
    """The note for a tunnel the Azure logs do not know in the range, or None when they do.
    `configured`: the stack's gateway names (to print the logged names as the config does)."""
    if azure_has_tunnel(timeline):
        return None
    start, end = timeline.start, timeline.end
    src, kql = saved_query("tunnel-history", {"RemoteIP": "", "GatewayName": "",
                                              "StartTime": start, "EndTime": end})
    timeline.queries.append(f"{src} (every tunnel, for the note below)")
    # Rows of a tunnel carry its remote IP; others (a gateway-level record) say nothing here.
    rows = [r for r in reader.query(customer_id, kql, timespan=(start, end))
            if str(r.get("remoteIP_s") or "").strip()]
    names = {n.upper(): n for n in configured}

    def name(resource: object) -> str:
        return names.get(str(resource or "").upper(), str(resource or ""))

    ip = timeline.remote_ip
    searched = f"remote IP {ip}" + (f" on gateway {gateway_name}" if gateway_name else "")
    head = f"Azure: no records for {searched} in this range ({', '.join(TUNNEL_SOURCES)})"
    if not rows:
        return (f"{head}; the workspace has no tunnel records in this range at all: widen the "
                "range, or run `gatewatch doctor` to see whether the gateways' logs flow")
    gateways = sorted({name(r.get("Resource")) for r in rows})
    on_gateway = [r for r in rows if not gateway_name
                  or str(r.get("Resource") or "").upper() == gateway_name.upper()]
    if not on_gateway:
        return (f"Azure: no records for gateway {gateway_name} in this range "
                f"({TUNNEL_SOURCES[0]}); did you mean {nearest(gateway_name, gateways)}? "
                f"(gateways with tunnel records: {', '.join(gateways)})")
    elsewhere = sorted({name(r.get("Resource")) for r in rows
                        if same_ip(str(r.get("remoteIP_s") or ""), ip)})
    if elsewhere:
        return (f"{head}; {ip} has records on gateway {', '.join(elsewhere)}: pass that "
                "gateway's id to --gateway, or leave --gateway out")
    ips = sorted({normalise_ip(str(r["remoteIP_s"])) or str(r["remoteIP_s"]) for r in on_gateway})
    return f"{head}; did you mean {nearest(ip, ips)}? (remote IPs logged: {', '.join(ips[:5])}" \
        + (f" and {len(ips) - 5} more)" if len(ips) > 5 else ")")

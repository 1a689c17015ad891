"""The next step for each verdict class of `gatewatch triage`: what the on-call engineer does
after reading the verdict. Data, one row per class of `model.LABELS`; a new verdict adds its
row here (tests/live/triage/test_next_steps.py checks that every class has one).

Sources, quoted:
- Microsoft, "Troubleshoot Azure VPN Gateway using diagnostic logs"
  (https://learn.microsoft.com/azure/vpn-gateway/troubleshoot-vpn-with-azure-diagnostics):
  a disconnect on one instance and a connect on the other a few seconds later is a gateway
  failover, "usually due to maintenance on the gateway instances"; a deliberate gateway reset
  shows the same ("The same behavior will be observed if you intentionally run a Gateway Reset
  on the Azure side"); a disconnect and connect on the same instance: "look for network failures
  causing DPD timeout or a disconnect erroneously sent by the on-premises device"; to find
  where an IPsec negotiation starts, "find the initial SA_INIT message" (rCookie = 0), and
  because Azure keeps retrying a failed negotiation every few seconds, one failing sample is
  enough; SA_INIT carries the parameters to compare with "Default IPsec/IKE parameters".
- Microsoft, "About active-active mode VPN gateways"
  (https://learn.microsoft.com/azure/vpn-gateway/about-active-active-gateways): in
  active-standby mode "the standby instance takes over automatically (failover) ... This
  switch over causes a brief interruption"; "active-active mode reduces the interruption".
- AWS, "Contents of Site-to-Site VPN logs"
  (https://docs.aws.amazon.com/vpn/latest/s2svpn/log-contents.html): "Same Pre-Shared key
  needs to be configured on both IKE Peers"; "Proposed Attributes for Phase 1 (Encryption,
  Hashing and DH Group) are not supported by AWS VPN Endpoint"; "correct Proposals/Policies
  must be configured for phase 2 on IKE Peers"; "Peer has not responded to DPD Messages,
  enforcing DPD time-out action".
- AWS, "AWS Site-to-Site VPN tunnel endpoint replacements"
  (https://docs.aws.amazon.com/vpn/latest/s2svpn/endpoint-replacements.html): "AWS applies
  tunnel endpoint updates to one tunnel of your VPN connection at a time ... It's therefore
  important to configure both tunnels in your VPN connection for high availability."
- AWS, "AWS Site-to-Site VPN tunnel initiation options"
  (https://docs.aws.amazon.com/vpn/latest/s2svpn/initiate-vpn-tunnels.html): "DPD timeout
  action: ... By default, the IKE session is stopped, the tunnel goes down, and the routes are
  removed."
"""

from __future__ import annotations

from gatewatch.live.triage import model as m

_IKE_READ = ("read the failing negotiation in the IKE log from its first SA_INIT (rCookie 0; "
             "the gateway retries every few seconds, so one failing sample is enough)")

NEXT_STEPS: dict[str, str] = {
    m.IKE_PSK: "Set the same pre-shared key on both ends (the on-premises device and the Azure "
               "connection / AWS tunnel); a key changed on one side only is the usual cause, so "
               "look for a configuration change just before the drop.",
    m.IKE_PROPOSAL: "Make the two ends offer a common proposal: compare the device's phase 1 "
                    "and phase 2 encryption, integrity and DH group with the gateway's "
                    "(Azure's default IPsec/IKE parameters or the connection's custom policy; "
                    f"the AWS tunnel options); {_IKE_READ}.",
    m.IKE_TRAFFIC_SELECTOR: "Make the traffic selectors match: the device's local and remote "
                            "networks must be the ones the VPN connection is configured with.",
    m.IKE_AUTH: "Check the authentication settings on both ends (pre-shared key or "
                f"certificate, IKE identities); {_IKE_READ}.",
    m.IKE_PHASE2: "Phase 1 is up, phase 2 is not: compare the phase 2 (IPsec) encryption, "
                  "integrity, PFS group and lifetime, and the traffic selectors, on both ends.",
    m.IKE_TIMEOUT: "The device did not complete phase 1 in time: check that UDP 500 and 4500 "
                   "reach it from the tunnel's outside IP and that it answers or initiates IKE "
                   "for this tunnel.",
    m.IKE_OTHER: f"Compare the peer's parameters with the gateway's: {_IKE_READ}.",
    m.PEER_DELETE: "The customer gateway closed the tunnel itself: read the on-premises "
                   "device's log at that time (a restart, a configuration change, its own DPD).",
    m.ENDPOINT_REPLACEMENT: "AWS maintenance, nothing to fix on the tunnel: AWS replaces one "
                            "tunnel endpoint at a time, so keep both tunnels of the connection "
                            "configured and up to carry traffic through the next one.",
    m.CONFIG_CHANGED: "Expected after a planned change: the changed tunnel is down while the "
                      "new settings apply. If the change was not planned, ask the principal "
                      "named in the evidence; before changing the other tunnel, wait until this "
                      "one is back (one tunnel at a time: `gatewatch aws-tunnels apply`).",
    m.MAINTENANCE_FAILOVER: "Azure maintenance, nothing to fix on the tunnel: the standby "
                            "instance took over. If the brief interruption hurts, make the "
                            "gateway active-active (one tunnel per instance) and keep both "
                            "tunnels up on the device.",
    m.GATEWAY_RESET: "A deliberate reset, nothing to fix on the tunnel: the gateway failed over "
                     "as a reset does. If the reset was not planned, ask the caller named in the "
                     "evidence why; if the brief interruption hurts, make the gateway "
                     "active-active and keep both tunnels up on the device.",
    m.FAILOVER: "A failover with no maintenance record and no reset in the gateway's Activity "
                "log: treat it as unlogged maintenance (if the Activity log could not be read, "
                "look there for a reset: a reset fails over the same way).",
    m.DPD_TIMEOUT: "Dead peer detection gave up: check the on-premises device's internet path "
                   "and its log at that time (packet loss, a busy or restarting device); on AWS "
                   "the tunnel's DPD timeout and DPD timeout action decide how soon and what "
                   "happens next.",
    m.SAME_INSTANCE: "Look for a network fault that caused a DPD timeout, or a disconnect sent "
                     "by the on-premises device: read the IKE log around the drop and the "
                     "device's own log.",
    m.STILL_DOWN: "Check the tunnel now (Azure connection status, AWS tunnel telemetry); then "
                  f"{_IKE_READ}; widen the range if the logs end early.",
    m.RECONNECTED: "No cause in the logs: compare with the on-premises device's log at that "
                   "time.",
}


def next_step(verdict: str) -> str:
    return NEXT_STEPS.get(verdict, "")

"""The vocabulary of AWS Site-to-Site VPN tunnel logs: every state and message AWS documents,
with what it means for a tunnel. The one table that triage (`gatewatch/live/triage/`), the
negotiation-failure alarm's metric filter (`components/aws_tunnel_logs.py`) and the Logs
Insights query `queries/aws/ike-negotiation-failures.yaml` are derived from.

Source: AWS Site-to-Site VPN User Guide, "AWS Site-to-Site VPN logs", section "Site-to-Site
VPN log contents" (https://docs.aws.amazon.com/vpn/latest/s2svpn/monitoring-logs.html; it
holds the tables that "Contents of Site-to-Site VPN logs", log-contents.html, held before the
BGP logs were added in November 2025). Every message and explanation below is the page's own
text, from its tables "IKEv1 Error Messages", "IKEv2 Error Messages" and "IKEv2 Negotiation
Messages"; a message listed in both IKE tables is listed once (the IKEv2 wording of the
explanation where the two differ). The phase states are documented as "IKE Phase 1 Protocol
State (Established | Rekeying | Negotiating | Down)", capitalised; the kit's own fixtures
write them in lower case, so they are compared case-insensitively. Messages carry variable
parts ("{retry_count}", "xxxx"): each entry names the stable fixed part a match needs.

CloudWatch Logs filter patterns are case-sensitive, and `?"a" ?"b"` matches an event holding
either quoted term ("Filter pattern syntax for metric filters, subscription filters, filter log
events, and Live Tail",
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html): the
alarm's pattern is an OR of the exact fixed parts.

`python -m gatewatch.aws.tunnel_log_vocabulary --write` writes docs/vocabulary.md and the
Insights query's filter line from this table (tests/aws/test_tunnel_log_vocabulary.py checks
both are current).
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass

from gatewatch.paths import PROJECT_ROOT

SOURCE_TITLE = ("AWS Site-to-Site VPN User Guide: AWS Site-to-Site VPN logs, "
                "section Site-to-Site VPN log contents")
SOURCE_URL = "https://docs.aws.amazon.com/vpn/latest/s2svpn/monitoring-logs.html#log-contents"
FILTER_SYNTAX_URL = (
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html")

# Classes of a message or state.
DPD_TIMEOUT = "dpd-timeout"
PEER_DELETE = "peer-delete"
IKE_PSK = "ike-failure: psk"
IKE_PROPOSAL = "ike-failure: proposal"
IKE_TRAFFIC_SELECTOR = "ike-failure: traffic-selector"
IKE_AUTH = "ike-failure: auth"
IKE_PHASE2 = "ike-failure: phase2"
IKE_TIMEOUT = "ike-failure: timeout"
ROUTINE = "routine"
UP = "up"
DOWN = "down"

IKE_FAILURES = (IKE_PSK, IKE_PROPOSAL, IKE_TRAFFIC_SELECTOR, IKE_AUTH, IKE_PHASE2, IKE_TIMEOUT)
# A drop on the AWS side: a Down state, a DPD timeout or a delete (restoration is the next
# Established).
DROP_CLASSES = (DPD_TIMEOUT, PEER_DELETE)


@dataclass(frozen=True)
class State:
    """A documented value of ike_phase1_state / ike_phase2_state."""

    value: str  # as AWS's table writes it
    cls: str  # UP, DOWN or ROUTINE (a rekey or negotiation is not a drop)
    quote: str
    source: str = SOURCE_URL


@dataclass(frozen=True)
class Message:
    """A documented `details` message of the tunnel activity log (ROUTINE: documented, and
    no drop)."""

    text: str  # as AWS's page writes it ({n}, "..." for the variable parts)
    fixed: str  # the stable, case-exact part every such event contains
    cls: str
    ike: str  # the page's tables it is listed in: "IKEv1", "IKEv2" or "IKEv1, IKEv2"
    explanation: str  # AWS's explanation column, verbatim
    source: str = SOURCE_URL


_STATE_QUOTE = "IKE Phase 2 Protocol State (Established | Rekeying | Negotiating | Down)."

STATES: tuple[State, ...] = (
    State("Established", UP, _STATE_QUOTE),
    State("Rekeying", ROUTINE, _STATE_QUOTE),
    State("Negotiating", ROUTINE, _STATE_QUOTE),
    State("Down", DOWN, _STATE_QUOTE),
)

MESSAGES: tuple[Message, ...] = (
    # IKEv1 error messages
    Message("Peer is not responsive - Declaring peer dead",
            "Peer is not responsive - Declaring peer dead", DPD_TIMEOUT, "IKEv1",
            "Peer has not responded to DPD Messages, enforcing DPD time-out action."),
    Message("AWS tunnel payload decryption was unsuccessful due to invalid Pre-shared Key",
            "AWS tunnel payload decryption was unsuccessful due to invalid Pre-shared Key",
            IKE_PSK, "IKEv1", "Same Pre-Shared key needs to be configured on both IKE Peers."),
    Message("No Proposal Match Found by AWS", "No Proposal Match Found by AWS", IKE_PROPOSAL,
            "IKEv1, IKEv2", "Proposed Attributes for Phase 1 or Phase 2 (Encryption, Hashing "
            "and DH Group) are not supported by AWS VPN Endpoint— for example, 3DES."),
    # The fixed part stops before the quoted words: a JSON log event escapes the quotes (\").
    Message('No Proposal Match Found. Notifying with "No proposal chosen"',
            "No Proposal Match Found. Notifying with", IKE_PROPOSAL, "IKEv1, IKEv2",
            "No Proposal Chosen error message is exchanged between Peers to inform that "
            "correct Proposals/Policies must be configured for phase 2 on IKE Peers."),
    # IKEv2 error messages
    Message("AWS tunnel DPD timed out after {retry_count} retransmits",
            "AWS tunnel DPD timed out after", DPD_TIMEOUT, "IKEv2",
            "Peer has not responded to DPD Messages, enforcing DPD time-out action."),
    Message("AWS tunnel received DELETE for IKE_SA from CGW",
            "AWS tunnel received DELETE for IKE_SA from CGW", PEER_DELETE, "IKEv1, IKEv2",
            "Peer has sent the Delete_SA message for Parent/IKE_SA"),
    Message("AWS tunnel Phase 2 was unable to establish while keeping Phase 1",
            "AWS tunnel Phase 2 was unable to establish while keeping Phase 1", IKE_PHASE2,
            "IKEv2", "Peer was unable to establish CHILD_SA due to negotiation error — for "
            "example, incorrect proposal."),
    Message("AWS: Traffic Selector: TS_UNACCEPTABLE: received from responder",
            "AWS: Traffic Selector: TS_UNACCEPTABLE: received from responder",
            IKE_TRAFFIC_SELECTOR, "IKEv2", "Peer has proposed Incorrect Traffic "
            "Selectors/Encryption Domain. Peers should be configured with identical and "
            "correct CIDRs."),
    Message("AWS tunnel is sending AUTHENTICATION_FAILED as the response",
            "AWS tunnel is sending AUTHENTICATION_FAILED as the response", IKE_AUTH, "IKEv2",
            "Peer is unable to Authenticate the Peer by verifying IKE_AUTH message's contents"),
    Message("AWS tunnel detected a pre-shared key mismatch with cgw: xxxx",
            "AWS tunnel detected a pre-shared key mismatch with cgw", IKE_PSK, "IKEv2",
            "Same Pre-Shared key needs to be configured on both IKE Peers."),
    Message("AWS tunnel Timeout: deleting un-established Phase 1 IKE_SA with cgw: xxxx",
            "AWS tunnel Timeout: deleting un-established Phase 1 IKE_SA with cgw", IKE_TIMEOUT,
            "IKEv2", "Deleting the half-opened IKE_SA as peer has not proceeded with "
            "negotiations"),
    # Routine: a child SA's delete, rekey collisions and the CREATE_CHILD_SA exchange of every
    # rekey. Listed so that a reader sees they are known and mean no drop.
    Message("AWS tunnel received DELETE for Phase 2 SA with SPI: xxxx",
            "AWS tunnel received DELETE for Phase 2 SA", ROUTINE, "IKEv1, IKEv2",
            "Peer has sent the Delete_SA message for CHILD_SA"),
    Message("AWS tunnel detected a (CHILD_REKEY) collision as CHILD_DELETE",
            "AWS tunnel detected a (CHILD_REKEY) collision as CHILD_DELETE", ROUTINE, "IKEv2",
            "CGW has sent the Delete_SA message for the Active SA, which is being rekeyed."),
    Message("AWS tunnel (CHILD_SA) redundant SA is being deleted due to detected collision",
            "AWS tunnel (CHILD_SA) redundant SA is being deleted due to detected collision",
            ROUTINE, "IKEv2", "Due to Collision, If redundant SAs are generated, Peers will "
            "close redundant SA after matching the nonce values as per RFC."),
    Message("AWS tunnel processed request (id=xxx) for CREATE_CHILD_SA",
            "AWS tunnel processed request", ROUTINE, "IKEv2",
            "AWS has received the CREATE_CHILD_SA request from CGW."),
    Message("AWS tunnel is sending response (id=xxx) for CREATE_CHILD_SA",
            "AWS tunnel is sending response", ROUTINE, "IKEv2",
            "AWS is sending CREATE_CHILD_SA response to CGW."),
    Message("AWS tunnel is sending request (id=xxx) for CREATE_CHILD_SA",
            "AWS tunnel is sending request", ROUTINE, "IKEv2",
            "AWS is sending CREATE_CHILD_SA request to CGW."),
    Message("AWS tunnel processed response (id=xxx) for CREATE_CHILD_SA",
            "AWS tunnel processed response", ROUTINE, "IKEv2",
            "AWS has received CREATE_CHILD_SA response form CGW."),
)

# When one event holds several messages, the most specific cause wins, in this order.
PRECEDENCE = (IKE_PSK, IKE_PROPOSAL, IKE_TRAFFIC_SELECTOR, IKE_AUTH, IKE_PHASE2, IKE_TIMEOUT,
              DPD_TIMEOUT, PEER_DELETE)


def state_class(value: object) -> str | None:
    """UP, DOWN or ROUTINE for a phase state (any case), None when absent or unknown."""
    if value is None:
        return None
    text = str(value).strip().lower()
    return next((s.cls for s in STATES if s.value.lower() == text), None)


def classify(details: str) -> str | None:
    """The class of the documented message in a `details` text (case-exact, as the alarm's
    filter matches), None when it holds none."""
    found = {m.cls for m in MESSAGES if m.fixed in details}
    return next((c for c in PRECEDENCE if c in found), None)


def failure_messages() -> tuple[Message, ...]:
    """The messages of a failed IKE negotiation: what the alarm counts."""
    return tuple(m for m in MESSAGES if m.cls in IKE_FAILURES)


def filter_terms() -> tuple[str, ...]:
    """The metric filter's terms: each failure message's fixed part, once, in table order."""
    return tuple(dict.fromkeys(m.fixed for m in failure_messages()))


def metric_filter_pattern() -> str:
    """`?"a" ?"b" ...`: an event holding any of the terms, case-sensitive (FILTER_SYNTAX_URL).
    A quoted term may not hold a double quote."""
    for term in filter_terms():
        assert '"' not in term, term
    return " ".join(f'?"{term}"' for term in filter_terms())


_REGEX_SPECIAL = re.compile(r"[.^$*+?()\[\]{}|\\/]")


def insights_regex() -> str:
    """The same terms as a Logs Insights regular expression (`like /.../`), case-sensitive."""
    return "|".join(_REGEX_SPECIAL.sub(r"\\\g<0>", t) for t in filter_terms())


def insights_filter_line() -> str:
    return ("  | filter ispresent(ike_phase1_state) and details like "
            f"/({insights_regex()})/")


# --- generated files ----------------------------------------------------------------------------

DOC_FILE = PROJECT_ROOT / "docs" / "vocabulary.md"
INSIGHTS_FILE = PROJECT_ROOT / "queries" / "aws" / "ike-negotiation-failures.yaml"
_FILTER_LINE = re.compile(r"^  \| filter ispresent\(ike_phase1_state\) and details like .*$",
                          re.MULTILINE)


def doc_text() -> str:
    lines = [
        "# AWS tunnel-log vocabulary",
        "",
        "Generated from `gatewatch/aws/tunnel_log_vocabulary.py` by "
        "`python -m gatewatch.aws.tunnel_log_vocabulary --write`; do not edit by hand.",
        "",
        f"Source: {SOURCE_TITLE}, <{SOURCE_URL}>. Triage, the negotiation-failure alarm's "
        "metric filter and the Logs Insights query `aws-ike-negotiation-failures` are all "
        "derived from this table.",
        "",
        "## Phase states (`ike_phase1_state`, `ike_phase2_state`)",
        "",
        "Compared case-insensitively. A drop is a Down, a DPD timeout or a delete; the tunnel "
        "is restored at the next Established; Rekeying and Negotiating are not drops.",
        "",
        "| state | class | AWS's words |",
        "| --- | --- | --- |",
    ]
    lines += [f"| {s.value} | {s.cls} | {s.quote} |" for s in STATES]
    lines += [
        "",
        "## Messages (`details`)",
        "",
        "Every message and explanation is AWS's text on the page above. `fixed part` is what a "
        "match needs (case-exact); `alarm` marks the terms of the metric filter; class "
        "`routine` is documented and never a drop.",
        "",
        "| message | fixed part | class | IKE | alarm | AWS's explanation |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for m in MESSAGES:
        cells = [m.text, f"`{m.fixed}`", m.cls, m.ike, "yes" if m.cls in IKE_FAILURES else "",
                 m.explanation]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    lines += [
        "",
        "## Derived",
        "",
        f"Metric filter pattern (CloudWatch Logs, case-sensitive OR of quoted terms, "
        f"<{FILTER_SYNTAX_URL}>):",
        "",
        "```",
        metric_filter_pattern(),
        "```",
        "",
        "Logs Insights filter line (`queries/aws/ike-negotiation-failures.yaml`):",
        "",
        "```",
        insights_filter_line().strip(),
        "```",
        "",
    ]
    return "\n".join(lines)


def insights_text(current: str) -> str:
    """The query file with its filter line derived from the table (the rest unchanged)."""
    new, count = _FILTER_LINE.subn(lambda _: insights_filter_line(), current)
    if count != 1:
        raise ValueError(f"{INSIGHTS_FILE}: expected one `| filter ... details like` line")
    return new


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true",
                        help="write docs/vocabulary.md and the Insights query's filter line")
    args = parser.parse_args(argv)
    if not args.write:
        sys.stdout.write(doc_text())
        return 0
    DOC_FILE.write_text(doc_text(), encoding="utf-8")
    INSIGHTS_FILE.write_text(insights_text(INSIGHTS_FILE.read_text(encoding="utf-8")),
                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

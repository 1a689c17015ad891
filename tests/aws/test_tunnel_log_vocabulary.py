"""The one vocabulary table of AWS tunnel logs, and what is derived from it: the alarm's metric
filter (judged by tests/support/cloudwatch_filter.py, CloudWatch's documented semantics, never
by moto), the Logs Insights query's filter line, and docs/vocabulary.md."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from components.aws_tunnel_logs import negotiation_failure_pattern
from gatewatch.aws import tunnel_log_vocabulary as vocabulary
from gatewatch.catalog.load import load
from gatewatch.catalog.model import InsightsQuery
from tests.support import cloudwatch_filter
from tests.support.triage_scenarios import logged

# Routine tunnel-log text (the kit's fixtures and AWS's states): the alarm must not count it.
ROUTINE = (
    "AWS tunnel is sending DPD request",
    "AWS tunnel received DPD response",
    "AWS tunnel phase 2 SA is established with SPI: 0xc8b2ce0",
    "AWS tunnel is initiating IKE_SA_INIT",
    "AWS tunnel is rekeying phase 2",
    *(s.value for s in vocabulary.STATES),
)


def event(details: str, state: str = "Down") -> str:
    """A tunnel-log event as the service writes it in JSON (the kit's default format)."""
    return json.dumps({"event_timestamp": 1764212400, "details": details,
                       "dpd_enabled": True, "nat_t_detected": False,
                       "ike_phase1_state": state, "ike_phase2_state": state})


def test_the_table_holds_every_documented_message_and_state() -> None:
    assert [s.value for s in vocabulary.STATES] == [
        "Established", "Rekeying", "Negotiating", "Down"]
    # AWS's page: 6 IKEv1 and 12 IKEv2 error messages (5 in both tables) and 4 negotiation
    # messages; 8 of them are failed negotiations, 7 routine.
    assert len(vocabulary.MESSAGES) == 18
    assert len(vocabulary.failure_messages()) == 8
    assert sum(m.cls == vocabulary.ROUTINE for m in vocabulary.MESSAGES) == 7
    for m in vocabulary.MESSAGES:
        assert m.fixed in logged(m.text), m
        assert m.source.startswith("https://docs.aws.amazon.com/vpn/"), m
        assert m.explanation, m


# AWS's own words, copied from the page's tables ("AWS Site-to-Site VPN logs",
# https://docs.aws.amazon.com/vpn/latest/s2svpn/monitoring-logs.html#log-contents): the table
# must hold each message with this explanation, character for character.
AWS_PAGE = {
    "AWS tunnel DPD timed out after {retry_count} retransmits":
        "Peer has not responded to DPD Messages, enforcing DPD time-out action.",
    "AWS tunnel received DELETE for IKE_SA from CGW":
        "Peer has sent the Delete_SA message for Parent/IKE_SA",
    "AWS tunnel Phase 2 was unable to establish while keeping Phase 1":
        "Peer was unable to establish CHILD_SA due to negotiation error — for example, "
        "incorrect proposal.",
    "AWS: Traffic Selector: TS_UNACCEPTABLE: received from responder":
        "Peer has proposed Incorrect Traffic Selectors/Encryption Domain. Peers should be "
        "configured with identical and correct CIDRs.",
    "AWS tunnel is sending AUTHENTICATION_FAILED as the response":
        "Peer is unable to Authenticate the Peer by verifying IKE_AUTH message's contents",
    "AWS tunnel detected a pre-shared key mismatch with cgw: xxxx":
        "Same Pre-Shared key needs to be configured on both IKE Peers.",
    "AWS tunnel Timeout: deleting un-established Phase 1 IKE_SA with cgw: xxxx":
        "Deleting the half-opened IKE_SA as peer has not proceeded with negotiations",
    "Peer is not responsive - Declaring peer dead":
        "Peer has not responded to DPD Messages, enforcing DPD time-out action.",
}


def test_every_message_is_aws_text_with_aws_explanation() -> None:
    table = {m.text: m.explanation for m in vocabulary.MESSAGES}
    for text, explanation in AWS_PAGE.items():
        assert table.get(text) == explanation, text
    assert "read on the page" not in vocabulary.doc_text()


@pytest.mark.parametrize("value", ["Established", "established", "ESTABLISHED", " Rekeying",
                                   "negotiating", "Down", "down"])
def test_states_compare_case_insensitively(value: str) -> None:
    expected = {"established": "up", "rekeying": "routine", "negotiating": "routine",
                "down": "down"}
    assert vocabulary.state_class(value) == expected[value.strip().lower()]


def test_the_alarm_counts_every_documented_failure_and_nothing_routine() -> None:
    pattern = negotiation_failure_pattern()
    assert pattern == vocabulary.metric_filter_pattern()
    for m in vocabulary.MESSAGES:
        counted = cloudwatch_filter.matches(pattern, event(logged(m.text)))
        # a routine message with AWS's Established state is not counted either
        assert counted == cloudwatch_filter.matches(
            pattern, event(logged(m.text), "Established")), m
        assert counted == (m.cls in vocabulary.IKE_FAILURES), m
    for text in ROUTINE:
        assert not cloudwatch_filter.matches(pattern, event(text)), text
    # case-sensitive: a lower-cased message is not AWS's
    assert not cloudwatch_filter.matches(pattern, event("no proposal match found by aws"))


def test_the_old_terms_missed_most_documented_failures() -> None:
    """What issue 20 found: the previous filter counted 2 of the 8 failure messages."""
    old = '?"pre-shared key mismatch" ?"NO_PROPOSAL_CHOSEN" ?"AUTHENTICATION_FAILED" ' \
          '?"INVALID_KE_PAYLOAD"'
    hits = [m for m in vocabulary.failure_messages()
            if cloudwatch_filter.matches(old, event(logged(m.text)))]
    assert len(hits) == 2


def test_the_evaluator_follows_the_documented_semantics() -> None:
    assert cloudwatch_filter.matches('?ERROR ?Exception', "an Exception here")
    assert not cloudwatch_filter.matches('ERROR Exception', "an Exception here")
    assert cloudwatch_filter.matches('ERROR Exception', "ERROR: an Exception")
    assert not cloudwatch_filter.matches('-ERROR', "ERROR")
    assert cloudwatch_filter.matches('"exact phrase"', "an exact phrase")
    assert not cloudwatch_filter.matches('"exact phrase"', "an exact  phrase")
    assert not cloudwatch_filter.matches('?error', "ERROR")
    assert cloudwatch_filter.matches('', "anything")
    with pytest.raises(ValueError):
        cloudwatch_filter.matches('?a b', "a")
    with pytest.raises(ValueError):
        cloudwatch_filter.matches('{ $.x = 1 }', "a")


def test_the_insights_query_uses_the_derived_pattern() -> None:
    (query,) = [q for q in load(InsightsQuery) if q.id == "aws-ike-negotiation-failures"]
    assert vocabulary.insights_filter_line().strip() in query.query
    found = re.search(r"details like /(.*)/$", query.query, re.MULTILINE)
    assert found is not None
    regex = re.compile(found.group(1).replace(r"\/", "/"))
    for m in vocabulary.MESSAGES:
        assert bool(regex.search(logged(m.text))) == (m.cls in vocabulary.IKE_FAILURES), m
    for text in ROUTINE:
        assert not regex.search(text), text


def test_generated_files_are_current() -> None:
    assert vocabulary.DOC_FILE.read_text(encoding="utf-8") == vocabulary.doc_text(), (
        "docs/vocabulary.md is stale: run python -m gatewatch.aws.tunnel_log_vocabulary --write")
    current = vocabulary.INSIGHTS_FILE.read_text(encoding="utf-8")
    assert current == vocabulary.insights_text(current), (
        "queries/aws/ike-negotiation-failures.yaml is stale: run "
        "python -m gatewatch.aws.tunnel_log_vocabulary --write")
    yaml.safe_load(current)

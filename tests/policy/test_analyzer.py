"""The pack driven exactly as the engine drives it: protobuf AnalyzeStack requests (unknowns as
the engine's sentinel) into pulumi-policy's own analyzer servicer. The control test shows that a
policy reading an unknown through `props` gets the servicer's advisory "can't run policy during
preview"; ours must come back as a mandatory violation instead."""

from __future__ import annotations

from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime import proto, rpc
from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import _PolicyAnalyzerServicer

from gatewatch.checks.model import UNKNOWN
from gatewatch.offline.recording import Recording
from gatewatch.policy.pack import PACK_ENFORCEMENT, PACK_NAME, build_policies
from gatewatch.policy.rules import RULES
from tests.support.policy_stacks import (
    aws_stack,
    azure_stack,
    beside_the_kit,
    native_gateway,
    record,
)

CANT_RUN = "can't run policy"


def _engine_value(value: Any) -> Any:
    """The harness's unknown marker back to the sentinel the engine sends for a computed value."""
    if value is UNKNOWN:
        return rpc.UNKNOWN
    if isinstance(value, dict):
        return {k: _engine_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_engine_value(v) for v in value]
    return value


def _struct(values: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(_engine_value(values))
    return struct


def stack_request(rec: Recording) -> Any:
    return proto.AnalyzeStackRequest(resources=[
        proto.AnalyzerResource(
            type=r.type, urn=r.urn, name=r.name, properties=_struct(r.inputs), parent=r.parent,
            dependencies=r.dependencies,
            propertyDependencies={k: proto.AnalyzerPropertyDependencies(urns=v)
                                  for k, v in r.property_dependencies.items()},
        )
        for r in rec.resources
    ])


def servicer(policies: list[Any] | None = None,
             config: dict[str, dict[str, Any]] | None = None) -> Any:
    service = _PolicyAnalyzerServicer(PACK_NAME, "0.0.1", policies or build_policies(),
                                      PACK_ENFORCEMENT)
    if config:
        policy_config = {}
        for name, entry in config.items():
            level = entry.pop("enforcementLevel", None)
            policy_config[name] = proto.PolicyConfig(
                enforcementLevel=getattr(proto, level.upper()) if level else proto.MANDATORY,
                properties=_struct(entry))
        service.Configure(proto.ConfigureAnalyzerRequest(policyConfig=policy_config), None)
    return service


def analyze(rec: Recording, **kwargs: Any) -> list[Any]:
    return list(servicer(**kwargs).AnalyzeStack(stack_request(rec), None).diagnostics)


def test_the_request_carries_the_unknown_id_as_the_engine_does() -> None:
    request = stack_request(record(azure_stack(with_setting=True)))
    [setting] = [r for r in request.resources if r.name == "hub-gw-diag"]
    assert setting.properties["resourceUri"] == rpc.UNKNOWN
    assert list(setting.propertyDependencies["resourceUri"].urns)


def test_control_a_policy_reading_the_unknown_id_degrades_to_advisory() -> None:
    def naive(args: StackValidationArgs, report: ReportViolation) -> None:
        for r in args.resources:
            if r.resource_type == "azure-native:monitor:DiagnosticSetting":
                _ = r.props["resourceUri"]  # raises UnknownValueError during preview

    policy = StackValidationPolicy("naive", "Requires nothing.", naive,
                                   EnforcementLevel.MANDATORY)
    [diagnostic] = analyze(record(azure_stack()), policies=[policy])
    assert CANT_RUN in diagnostic.message
    assert diagnostic.enforcementLevel == proto.ADVISORY


def test_a_first_preview_with_diagnostics_passes_without_any_diagnostic() -> None:
    assert analyze(record(azure_stack())) == []


def test_a_first_preview_with_too_few_categories_is_a_mandatory_violation() -> None:
    rec = record(azure_stack(categories=["GatewayDiagnosticLog"]))
    diagnostics = analyze(rec)
    assert not any(CANT_RUN in d.message for d in diagnostics)
    [diagnostic] = diagnostics
    assert diagnostic.policyName == "vpn-gateway-diagnostics"
    assert diagnostic.enforcementLevel == proto.MANDATORY
    assert diagnostic.urn == rec.one("azure-native:network:VirtualNetworkGateway", "hub-gw").urn
    assert "'hub-gw' has no diagnostic setting sending TunnelDiagnosticLog" in diagnostic.message


def test_a_gateway_the_kit_covers_by_id_passes_and_another_fails_in_preview() -> None:
    assert analyze(beside_the_kit(native_gateway("hub", "rg-hub", "vpngw-hub"))) == []
    [diagnostic] = analyze(beside_the_kit(native_gateway("other", "rg-hub", "vpngw-other")))
    assert diagnostic.policyName == "vpn-gateway-diagnostics"
    assert diagnostic.enforcementLevel == proto.MANDATORY
    assert "virtualNetworkGateways/vpngw-other} to gatewatch:azure.gateways" in diagnostic.message


def test_a_policy_based_gateway_asked_for_five_is_mandatory_in_preview() -> None:
    [diagnostic] = analyze(record(azure_stack(vpn_type="PolicyBased")))
    assert diagnostic.policyName == "policy-based-gateway-categories"
    assert diagnostic.enforcementLevel == proto.MANDATORY


def test_aws_connection_covered_by_rollout_in_preview_and_config_levels_apply() -> None:
    assert analyze(record(aws_stack(rollout=True))) == []
    rec = record(aws_stack())
    [mandatory] = analyze(rec)
    assert mandatory.policyName == "aws-vpn-tunnel-logging"
    assert mandatory.enforcementLevel == proto.MANDATORY
    [advisory] = analyze(rec, config={"aws-vpn-tunnel-logging": {"enforcementLevel": "advisory"}})
    assert advisory.enforcementLevel == proto.ADVISORY


def test_exemptions_arrive_as_policy_config_and_silence_the_violation() -> None:
    rec = record(azure_stack(with_setting=False))
    config = {"vpn-gateway-diagnostics": {"exemptions": [{"name": "hub-gw",
                                                         "reason": "lab gateway"}]}}
    assert analyze(rec, config=config) == []


def test_the_pack_describes_its_policies_to_the_engine() -> None:
    info = servicer().GetAnalyzerInfo(None, None)
    assert info.name == "gatewatch"
    levels = {p.name: p.enforcementLevel for p in info.policies}
    assert levels == {
        "vpn-gateway-diagnostics": proto.MANDATORY,
        "policy-based-gateway-categories": proto.MANDATORY,
        "aws-vpn-tunnel-logging": proto.MANDATORY,
        "aws-vpn-bgp-logging": proto.ADVISORY,
        "alert-rules-use-managed-identity": proto.ADVISORY,
        "alert-roles-not-subscription-scope": proto.ADVISORY,
        "log-group-retention": proto.ADVISORY,
        "workspace-retention-30-days": proto.ADVISORY,
        # a resource policy: remediates a setting asking a policy-based gateway for too much
        "policy-based-gateway-categories-remediation": proto.REMEDIATE,
    }
    for policy in info.policies[:len(RULES)]:
        assert policy.description.split()[0] in ("Requires", "Prohibits"), policy.name
        assert "exemptions" in policy.configSchema.properties, policy.name
        assert policy.policy_type == proto.PolicyType.POLICY_TYPE_STACK
    assert [p.name for p in info.policies][:len(RULES)] == [r.id for r in RULES]

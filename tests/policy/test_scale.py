"""The policy rules at organisation scale: the settings index finds exactly what a scan of every
setting finds (the figures themselves come from bench/policy_check.py, not from a timed test)."""

from __future__ import annotations

from gatewatch.checks.model import UNKNOWN, Resource
from gatewatch.policy.rules.azure.gateways import SettingIndex, diagnostic_settings
from tests.support.stacks import gateway_id

NATIVE_GW = "azure-native:network:VirtualNetworkGateway"
CLASSIC_GW = "azure:network/virtualNetworkGateway:VirtualNetworkGateway"
NATIVE_SETTING = "azure-native:monitor:DiagnosticSetting"
CLASSIC_SETTING = "azure:monitoring/diagnosticSetting:DiagnosticSetting"
OTHER_SUB = "99999999-2222-3333-4444-555555555555"


def _urn(type_: str, name: str) -> str:
    return f"urn:pulumi:org::estate::{type_}::{name}"


def _gateway(name: str, *, known: bool, literals: bool = True, type_: str = NATIVE_GW,
             rg: str = "rg-net") -> Resource:
    props = {"resourceGroupName": rg, "virtualNetworkGatewayName": name, "name": name} \
        if literals else {"resourceGroupName": UNKNOWN}
    return Resource(_urn(type_, name), type_, name, props,
                    id=gateway_id(rg, name) if known else None)


def _setting(name: str, target: object = None, *, type_: str = NATIVE_SETTING,
             depends_on: str | None = None, own_id: str | None = None) -> Resource:
    key = "resourceUri" if type_ == NATIVE_SETTING else "targetResourceId"
    props = {} if target is None else {key: target}
    deps = {key: (depends_on,)} if depends_on else {}
    return Resource(_urn(type_, name), type_, name, props, property_dependencies=deps,
                    id=own_id)


def test_the_index_finds_what_a_scan_of_every_setting_finds() -> None:
    known = _gateway("gw-known", known=True)
    unknown = _gateway("gw-new", known=False)
    computed = _gateway("gw-computed", known=False, literals=False)
    classic = _gateway("gw-classic", known=True, type_=CLASSIC_GW)
    gateways = [known, unknown, computed, classic]
    resources = [
        *gateways,
        # by id, case and a trailing slash aside
        _setting("by-id", gateway_id("rg-net", "gw-known").upper() + "/"),
        # by its own id (azure-native outputs drop resourceUri)
        _setting("by-own-id", own_id=gateway_id("rg-net", "gw-known")
                 + "/providers/Microsoft.Insights/diagnosticSettings/gatewatch"),
        # by URN through property dependencies, while the id is unknown
        _setting("by-dependency", UNKNOWN, depends_on=computed.urn),
        # by resource group and name of a literal id, while the gateway's id is unknown
        _setting("by-literal", gateway_id("RG-NET", "GW-NEW", OTHER_SUB)),
        _setting("classic", gateway_id("rg-net", "gw-classic"), type_=CLASSIC_SETTING),
        # matching nothing
        _setting("elsewhere", gateway_id("rg-net", "gw-gone")),
        _setting("unknown-target", UNKNOWN),
        _setting("workspace", "/subscriptions/x/resourceGroups/rg-net/providers/"
                 "Microsoft.OperationalInsights/workspaces/log"),
    ]
    settings = diagnostic_settings(resources)
    index = SettingIndex(settings)
    found = {}
    for gateway in gateways:
        scanned = [s for s in settings if s.targets(gateway)]
        assert index.targeting(gateway) == scanned, gateway.name
        found[gateway.name] = [s.resource.name for s in scanned]
    assert found == {"gw-known": ["by-id", "by-own-id"], "gw-new": ["by-literal"],
                     "gw-computed": ["by-dependency"], "gw-classic": ["classic"]}

"""Log search alerts from the catalog, run by one managed identity that can only read.

Everything an alert rule needs to run is created here: a user-assigned identity (granted
before any rule exists, so a rule never runs blind), its Reader role on the workspace (or the
workspace's resource group, never wider), and the action group that mails.
The component is generic: it deploys whatever `alerts/*.yaml` holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import authorization, managedidentity, monitor

from components import kit_tags
from gatewatch.azure import facts as azure_facts
from gatewatch.azure import names as azure_names
from gatewatch.catalog.model import LogSearchAlertRule
from gatewatch.config.alerts import AlertsConfig


@dataclass
class LogSearchAlertsArgs:
    rules: Sequence[LogSearchAlertRule]
    alerts: AlertsConfig
    resource_group_name: pulumi.Input[str]
    location: str
    workspace_id: pulumi.Input[str]
    # Ids known at preview (MonitoringWorkspace.workspace_scope_id / ..._resource_group_scope_id),
    # so the grant's scope and role show in a PR preview; `ready` must exist before the grant.
    workspace_scope_id: pulumi.Input[str]
    workspace_resource_group_scope_id: pulumi.Input[str]
    # The kit's resource group id, known at preview: the identity's id derives from it.
    resource_group_scope_id: pulumi.Input[str]
    ready: Sequence[pulumi.Resource] = ()
    tags: Mapping[str, str] = field(default_factory=dict)


def reader_role_definition_id(scope: str) -> str:
    """Reader's role definition id in the subscription of `scope`."""
    subscription = scope.split("/")[2]
    return (f"/subscriptions/{subscription}/providers/Microsoft.Authorization/"
            f"roleDefinitions/{azure_facts.READER_ROLE_DEFINITION_GUID}")


class LogSearchAlerts(pulumi.ComponentResource):
    """Identity + Reader role + action group + one ScheduledQueryRule (LogAlert) per rule."""

    identity_id: pulumi.Output[str]
    identity_principal_id: pulumi.Output[str]
    action_group_id: pulumi.Output[str]
    rule_ids: pulumi.Output[dict[str, str]]

    def __init__(
        self, name: str, args: LogSearchAlertsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("gatewatch:azure:LogSearchAlerts", name, None, opts)
        tags = kit_tags(args.tags)
        child = pulumi.ResourceOptions(parent=self)

        identity = managedidentity.UserAssignedIdentity(
            f"{name}-identity",
            resource_name_=azure_names.identity_name(name),
            resource_group_name=args.resource_group_name,
            location=args.location,
            tags=tags,
            opts=child,
        )
        scope = (
            pulumi.Output.from_input(args.workspace_scope_id)
            if args.alerts.role_scope == "workspace"
            else pulumi.Output.from_input(args.workspace_resource_group_scope_id)
        )
        role_definition_id = scope.apply(reader_role_definition_id)
        # The identity's id, derived (the created one is unknown until it exists): it lives in
        # the kit's resource group, in the deploying subscription.
        identity_id = pulumi.Output.from_input(args.resource_group_scope_id).apply(
            lambda g: azure_names.identity_id(g, name))
        role = authorization.RoleAssignment(
            f"{name}-reader",
            role_assignment_name=pulumi.Output.all(scope, role_definition_id, identity_id).apply(
                lambda v: azure_names.role_assignment_name(v[0], v[1], v[2])),
            principal_id=identity.principal_id,
            # Without principalType a just-created identity can fail with PrincipalNotFound
            # while Entra ID replicates it.
            principal_type="ServicePrincipal",
            role_definition_id=role_definition_id,
            scope=scope,
            description="gatewatch log search alerts read the VPN diagnostics workspace",
            # The scope is derived (known at preview); the workspace must exist first.
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.ready)),
        )
        group = monitor.ActionGroup(
            f"{name}-action-group",
            action_group_name=azure_names.action_group_name(name),
            resource_group_name=args.resource_group_name,
            location="Global",
            group_short_name=azure_names.ACTION_GROUP_SHORT_NAME,
            enabled=True,
            email_receivers=[
                monitor.MicrosoftCommonEmailReceiverArgs(
                    name=f"email-{i}", email_address=email, use_common_alert_schema=True)
                for i, email in enumerate(args.alerts.emails)
            ],
            webhook_receivers=[
                monitor.WebhookReceiverArgs(
                    # Webhook URLs carry their token: keep them encrypted in state and out of
                    # preview output, whether or not the stack file stored them as secrets.
                    name=hook.name, service_uri=pulumi.Output.secret(hook.uri),
                    use_common_alert_schema=True)
                for hook in args.alerts.webhooks
            ] or None,
            tags=tags,
            opts=child,
        )

        rule_ids: dict[str, pulumi.Output[str]] = {}
        for rule in args.rules:
            resource = monitor.ScheduledQueryRule(
                f"{name}-{rule.name}",
                rule_name=azure_names.log_search_alert_name(rule.name),
                resource_group_name=args.resource_group_name,
                location=args.location,
                kind="LogAlert",
                display_name=rule.display_name,
                description=rule.description,
                severity=rule.severity,
                enabled=rule.enabled,
                scopes=[args.workspace_id],
                evaluation_frequency=rule.evaluation_frequency,
                window_size=rule.window_size,
                criteria=monitor.ScheduledQueryRuleCriteriaArgs(all_of=[_condition(rule)]),
                actions=monitor.ActionsArgs(action_groups=[group.id]),
                identity=monitor.MicrosoftCommonIdentityArgs(
                    type=monitor.IdentityType.USER_ASSIGNED,
                    user_assigned_identities=[identity.id]),
                auto_mitigate=rule.auto_mitigate,
                mute_actions_duration=rule.mute_actions_duration,
                # Azure validates the query when the rule is created. Every catalog query
                # resolves on a brand-new workspace (no AzureDiagnostics table, or one without
                # the VPN columns: fuzzy union with a typed empty datatable), checked in `make
                # test` and `gatewatch plan` by the Kusto language service against those
                # schemas (gatewatch.kql.check.check_fresh_workspace).
                skip_query_validation=False,
                tags=tags,
                # Never let a rule run before its identity can read the workspace.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[role]),
            )
            rule_ids[rule.name] = resource.id

        self.identity_id = identity.id
        self.identity_principal_id = identity.principal_id
        self.action_group_id = group.id
        self.rule_ids = pulumi.Output.all(**rule_ids) if rule_ids else pulumi.Output.from_input({})
        self.register_outputs({
            "identity_id": self.identity_id,
            "identity_principal_id": self.identity_principal_id,
            "action_group_id": self.action_group_id,
            "rule_ids": self.rule_ids,
        })


def _condition(rule: LogSearchAlertRule) -> monitor.ConditionArgs:
    periods = rule.trigger.failing_periods
    return monitor.ConditionArgs(
        query=rule.query,
        time_aggregation=rule.trigger.time_aggregation,
        # A plain string: monitor.ConditionOperator is the enum of another API version.
        operator=rule.trigger.operator,
        threshold=rule.trigger.threshold,
        dimensions=[
            monitor.DimensionArgs(name=column, operator="Include", values=["*"])
            for column in rule.dimensions
        ] or None,
        failing_periods=monitor.ConditionFailingPeriodsArgs(
            number_of_evaluation_periods=periods.number_of_evaluation_periods,
            min_failing_periods_to_alert=periods.min_failing_periods_to_alert,
        ),
    )

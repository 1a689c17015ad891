"""The resource group the kit owns and the Log Analytics workspace the queries read."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import authorization, operationalinsights, resources

from components import kit_tags
from gatewatch.azure import names as azure_names
from gatewatch.config.azure import WorkspaceConfig


@dataclass
class MonitoringWorkspaceArgs:
    resource_group_name: str
    location: str
    workspace: WorkspaceConfig
    tags: Mapping[str, str] = field(default_factory=dict)


class MonitoringWorkspace(pulumi.ComponentResource):
    """Creates the kit's resource group and either creates a PerGB2018 workspace (retention,
    optional daily cap, local auth off so only Entra identities read it) or adopts one by id."""

    resource_group_name: pulumi.Output[str]
    resource_group_id: pulumi.Output[str]
    workspace_id: pulumi.Output[str]
    workspace_resource_group_id: pulumi.Output[str]
    # What must exist before something uses the *_scope_id properties below.
    ready: list[pulumi.Resource]

    def __init__(
        self, name: str, args: MonitoringWorkspaceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("gatewatch:azure:MonitoringWorkspace", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = kit_tags(args.tags)

        group = resources.ResourceGroup(
            f"{name}-rg",
            resource_group_name=args.resource_group_name,
            location=args.location,
            tags=tags,
            opts=child,
        )
        self.resource_group_name = group.name
        self.resource_group_id = group.id
        self._group_name = args.resource_group_name
        self._spec = args.workspace

        spec = args.workspace
        if spec.existing_id is not None:
            # Adopted: the kit only points settings and rules at it, it never changes it.
            self.workspace_id = pulumi.Output.from_input(spec.existing_id.id)
            self.workspace_resource_group_id = pulumi.Output.from_input(
                spec.existing_id.resource_group_id
            )
            self.ready = [group]
        else:
            assert spec.name is not None  # the config model guarantees name or existing_id
            workspace = operationalinsights.Workspace(
                f"{name}-workspace",
                workspace_name=spec.name,
                resource_group_name=group.name,
                location=args.location,
                sku=operationalinsights.WorkspaceSkuArgs(name="PerGB2018"),
                retention_in_days=spec.retention_in_days,
                workspace_capping=(
                    operationalinsights.WorkspaceCappingArgs(daily_quota_gb=spec.daily_quota_gb)
                    if spec.daily_quota_gb is not None
                    else None
                ),
                # No shared keys: readers (alert identities, people) authenticate with Entra.
                features=operationalinsights.WorkspaceFeaturesArgs(disable_local_auth=True),
                tags=tags,
                opts=child,
            )
            self.workspace_id = workspace.id
            self.workspace_resource_group_id = group.id
            self.ready = [group, workspace]

        self.register_outputs(
            {
                "resource_group_name": self.resource_group_name,
                "resource_group_id": self.resource_group_id,
                "workspace_id": self.workspace_id,
                "workspace_resource_group_id": self.workspace_resource_group_id,
            }
        )

    # The same ids, known at preview (derived, not read back), so a PR preview shows a reviewer
    # where a role is granted; use them with `depends_on=ready`. The subscription the provider
    # deploys into (where the kit's group and a created workspace live) is asked only when one
    # of these is used.
    @functools.cached_property
    def resource_group_scope_id(self) -> pulumi.Output[str]:
        """The kit's own resource group."""
        subscription = authorization.get_client_config_output(
            opts=pulumi.InvokeOptions(parent=self)).subscription_id
        group = self._group_name
        return subscription.apply(lambda s: azure_names.resource_group_id(s, group))

    @property
    def workspace_scope_id(self) -> pulumi.Output[str]:
        if self._spec.existing_id is not None:
            return pulumi.Output.from_input(self._spec.existing_id.id)
        name = self._spec.name
        assert name is not None  # the config requires a name unless it adopts a workspace
        return self.resource_group_scope_id.apply(
            lambda g: azure_names.created_workspace_id(g, name))

    @property
    def workspace_resource_group_scope_id(self) -> pulumi.Output[str]:
        if self._spec.existing_id is not None:
            return pulumi.Output.from_input(self._spec.existing_id.resource_group_id)
        return self.resource_group_scope_id

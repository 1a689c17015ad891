"""The on-call workbook, stored on the Log Analytics workspace
(gatewatch/azure/workbook_template.py builds it).

Microsoft.Insights/workbooks 2023-06-01: kind "shared", category "workbook", the resource name a
UUID (the API requires one; derived deterministically so a re-run updates the same workbook),
sourceId the workspace, so it opens from the workspace's Workbooks blade and its log queries
run there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import applicationinsights

from components import kit_tags
from gatewatch.azure import names as azure_names
from gatewatch.azure import workbook_template


@dataclass
class VpnWorkbookArgs:
    gateway_ids: Sequence[str]
    workspace_id: pulumi.Input[str]
    resource_group_name: pulumi.Input[str]
    location: str
    # Seeds the workbook's UUID name: the stack's resource group is unique per environment.
    name_seed: str
    tags: Mapping[str, str] = field(default_factory=dict)


class VpnWorkbook(pulumi.ComponentResource):
    """One shared workbook on the workspace."""

    workbook_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: VpnWorkbookArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("gatewatch:azure:VpnWorkbook", name, None, opts)
        book = applicationinsights.Workbook(
            f"{name}-workbook",
            resource_name_=azure_names.workbook_name(args.name_seed, name),
            resource_group_name=args.resource_group_name,
            location=args.location,
            kind=workbook_template.KIND,
            category=workbook_template.CATEGORY,
            display_name=workbook_template.DISPLAY_NAME,
            serialized_data=workbook_template.serialized(args.gateway_ids),
            source_id=args.workspace_id,
            version=workbook_template.VERSION,
            tags=kit_tags(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.workbook_id = book.id
        self.register_outputs({"workbook_id": self.workbook_id})

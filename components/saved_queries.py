"""A Log Analytics query pack with the troubleshooting queries of Microsoft's VPN Gateway
articles, so an operator opens them from the portal (Logs > Queries) instead of copying them
from a web page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import operationalinsights

from components import kit_tags
from gatewatch.azure import facts as azure_facts
from gatewatch.azure import names as azure_names
from gatewatch.catalog.model import SavedQuery


@dataclass
class SavedQueriesArgs:
    queries: Sequence[SavedQuery]
    resource_group_name: pulumi.Input[str]
    location: str
    tags: Mapping[str, str] = field(default_factory=dict)


class SavedQueries(pulumi.ComponentResource):
    """One query pack, one query per `queries/*.yaml`, related to VPN gateways."""

    query_pack_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: SavedQueriesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("gatewatch:azure:SavedQueries", name, None, opts)
        tags = kit_tags(args.tags)
        pack = operationalinsights.QueryPack(
            f"{name}-pack",
            query_pack_name=azure_names.query_pack_name(name),
            resource_group_name=args.resource_group_name,
            location=args.location,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        for query in args.queries:
            operationalinsights.Query(
                f"{name}-{query.name}",
                id=query.id,  # the query's GUID from its file: stable across runs
                query_pack_name=pack.name,
                resource_group_name=args.resource_group_name,
                display_name=query.display_name,
                description=query.description,
                body=query.body,
                related=operationalinsights.LogAnalyticsQueryPackQueryPropertiesRelatedArgs(
                    categories=[query.category],
                    resource_types=[azure_facts.GATEWAY_ARM_TYPE.lower()],
                ),
                # Query tags are lists of values in this API.
                tags={"source": ["gatewatch"]},
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.query_pack_id = pack.id
        self.register_outputs({"query_pack_id": self.query_pack_id})

"""`gatewatch doctor` from end to end: Azure's checks, then AWS's, into one DoctorReport."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from gatewatch.config.model import StackConfig
from gatewatch.live.doctor.aws import check_aws
from gatewatch.live.doctor.azure import check_azure
from gatewatch.live.doctor.azure_alerts import check_alerts, check_gateway_alerts
from gatewatch.live.doctor.report import DoctorReport
from gatewatch.live.readers import AwsReads, AzureReads


def run(config: StackConfig, stack: str, *, azure_reader: AzureReads | None,
        aws_reader: AwsReads | Mapping[str, AwsReads] | None, workspace_id: str | None,
        now: dt.datetime | None = None) -> DoctorReport:
    moment = now or dt.datetime.now(dt.UTC)
    report = DoctorReport(stack)
    if config.azure is not None:
        assert azure_reader is not None and workspace_id is not None
        check_azure(report, config.azure, azure_reader, workspace_id, moment)
        if config.azure.alerts is not None:
            check_alerts(report, config.azure, azure_reader, workspace_id)
            check_gateway_alerts(report, config.azure, azure_reader, workspace_id)
    if config.aws is not None:
        assert aws_reader is not None
        check_aws(report, config.aws, aws_reader, moment)
    return report

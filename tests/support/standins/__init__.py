"""Local stand-ins for the services `gatewatch doctor` and `gatewatch triage` read.

They live with the tests, never in the product package. Each speaks the service's wire
protocol, so the product's real clients (azure-identity, azure-monitor-query, azure-mgmt-*,
boto3) talk to them unchanged:

- `azure.AzureStandIn`: one HTTPS server (self-signed CA from `tls.py`, trusted through
  REQUESTS_CA_BUNDLE) playing three Azure endpoints: the App Service managed-identity token
  endpoint (IDENTITY_ENDPOINT/IDENTITY_HEADER, which DefaultAzureCredential uses), Azure
  Resource Manager (GETs of stored resources, role-assignment lists filtered by principalId,
  404 ResourceNotFound otherwise), and the Log Analytics query API, which EXECUTES the
  submitted KQL with duckdb-kql over fixture rows (gatewatch.kql.execute).
- `health.HealthStandIn`: AWS Health's JSON 1.1 API (DescribeEvents, DescribeAffectedEntities).
- `cloudtrail.CloudTrailStandIn`: CloudTrail's JSON 1.1 LookupEvents (one lookup attribute,
  paging, the documented two requests per second with ThrottlingException past it, denial).
- `ec2.Ec2StandIn`: the EC2 VPN stand-in (DescribeVpnConnections with Options and
  VgwTelemetry, which moto lacks), imported through one adapter line.
- CloudWatch Logs and CloudWatch: moto's own server (moto[server]).
- `faults`: a refused port and a port that accepts and never answers, for a source that is
  down or hangs; the 5xx answers are flags of the stand-ins (`unavailable`).
"""

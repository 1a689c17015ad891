"""AWS Site-to-Site VPN tunnel options, rolled out one tunnel at a time so a connection always
keeps a working tunnel. Import from the submodules; this package re-exports nothing.

`options`: what to set on every tunnel (LogOptions, with the one comparison of wanted and current
options that the rollout and `doctor` share) and how patiently (RolloutSettings).

`views`: read-only views of DescribeVpnConnections and GetVpnTunnelReplacementStatus answers
(ConnectionView, MaintenanceView, ConnectionStatus), the tunnel and connection states, and the
UTC maintenance TimeWindow; `gatewatch live` reads the service through them too.

`results`: what a run reports: Action, ProgressEvent while it works, TunnelResult,
ConnectionResult and RolloutResult at the end. `errors`: every exception of the package.

`client`: the typed Ec2Client Protocol (the four EC2 calls the kit makes) and the boto3 client
with SDK retries off (make_ec2_client, the picklable Ec2ClientSpec).

`run`: what one run shares between its workers (client, clock, pacer, stop flag, progress) and
the single backoff decision. `reader`: the batched DescribeVpnConnections reader and its cache,
so reads per poll interval do not grow with the number of connections.

`steps`: the per-tunnel steps (change the options, apply pending maintenance) and their rules;
every mutating call goes through one pace/stop/mark/call/back-off path. `engine`: the
orchestration: RolloutEngine (connections in a bounded thread pool, tunnel 1 then tunnel 2) and
the one-call `rollout()`.

`journal`: the rollout journal, one CloudWatch Logs record per tunnel change written before
the call in the kit's log group (stream gatewatch-rollout-journal); `inflight`: how the steps
use it (wait for a journaled change still in flight, announce, withdraw).

`preflight`: before `apply` changes anything, its log groups are in the caller's account and
partition and exist (STS GetCallerIdentity, CloudWatch Logs DescribeLogGroups).

Around them: `clock` (real, stoppable and simulated time), `retry` (which errors are retried,
Backoff), `throttle` (EC2's request buckets and the client-side Pacer), `expected` (what a
stack's config wants on every tunnel), `targets` (ids across regions and accounts: REGION/vpn-id,
--stack), `cli` (`gatewatch aws-tunnels`) and `report` (what it prints). The EC2 stand-in the
tests run all this against lives in tests/support/standins/, never in this package.
"""

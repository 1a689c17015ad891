"""`gatewatch doctor`: is the monitoring the stack config describes really working?

Reads the live estate (never changes it) and prints one line per check:

  OK       deployed as the config says, and delivering
  STALE    deployed, but its newest record is older than its freshness threshold
  MISSING  not there (or never delivered anything)
  WRONG    there, but not as the config says (categories, destination, disabled, options)
  UNCHECKED  its source could not be read ("not checked: <source> <reason>": refused,
           unreachable, no answer within the timeout, a 5xx); the other lines are still checked

Exit 0 when every line is OK, 1 when any is not, 2 for bad input or a missing login.

- report: the result types (DoctorReport, CheckResult) and the table / JSON output
- azure: the workspace, the gateways' diagnostic settings and their records' freshness
- azure_alerts: the alert rules, their identities' Reader role, the action group, the metric,
  activity log and health alerts
- aws: the log groups, the tunnels' log options and events, the alarms, the AWS Health rule
- run: both clouds in order, one report
"""

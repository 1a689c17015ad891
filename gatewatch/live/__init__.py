"""The read-only path: real Azure SDK and boto3 clients that read the live estate for
`gatewatch doctor` and `gatewatch triage`. Nothing here changes a resource.

Endpoints are overridable so the tests can point the real clients at local stand-ins
(tests/support/standins/): see `gatewatch.live.azure` and `gatewatch.live.aws`.
"""

"""KQL tooling for gatewatch's alerts and saved queries.

- ``schemas``: the Log Analytics table schemas (one YAML file) both checkers read;
- ``check``: Microsoft's Kusto language service, the judge of what Log Analytics accepts;
- ``execute``: duckdb-kql, which runs alert queries over fixture rows so tests can compare
  results with what an operator would conclude.
"""

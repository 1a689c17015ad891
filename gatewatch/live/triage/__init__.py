"""`gatewatch triage`: one tunnel, both clouds, one timeline, a verdict per drop."""

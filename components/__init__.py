"""Pulumi components of the gatewatch kit: one module per concern, one ComponentResource each."""

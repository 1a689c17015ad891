"""gatewatch: diagnostics that explain VPN drops and maintenance, on Azure and AWS."""

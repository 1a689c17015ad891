"""The gatewatch policy pack: its rules (`rules/`, one per module), the resources they read
(`resources`: adapters into gatewatch.checks.model.Resource), their config (`exemptions`), the
pulumi-policy wiring (`pack`), and the offline runner the plan and `gatewatch policy check` use
(`runner`)."""

"""The gatewatch policy pack's rules, as plain validators (`rules`), the data they read
(`resources`), the pulumi-policy wiring (`pack`), and the offline runner the plan and
`gatewatch policy check` use (`runner`)."""

"""The gatewatch policy pack: `pulumi preview --policy-pack policies`. Only wiring: the rules
live in the kit (gatewatch/policy/), where the tests, the offline plan and
`gatewatch policy check` use them too."""

from pulumi_policy import PolicyPack

from gatewatch.policy.pack import PACK_ENFORCEMENT, PACK_NAME, build_policies

PolicyPack(name=PACK_NAME, policies=build_policies(), enforcement_level=PACK_ENFORCEMENT)

"""Management and security/logs account stacks: organization structure and guardrails,
Identity Center, log archive, organization trail, CIS alarms, detection services and
the optional Security Lake. Entry point: ``stacks.build_account_stacks``."""

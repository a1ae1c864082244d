"""Operator tools around the CDK app: preflight, the import mapping, the teardown guard."""

"""AWS managed policies the tests evaluate, vendored verbatim.

PowerUserAccess: ``arn:aws:iam::aws:policy/PowerUserAccess``, policy version v12
(default), edited February 12, 2026, as published at
https://docs.aws.amazon.com/aws-managed-policy/latest/reference/PowerUserAccess.html
(retrieved 2026-12-01). AdministratorAccess: v1, the one-statement policy at
https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AdministratorAccess.html
(what the CDK bootstrap's CloudFormation execution role carries by default).
"""

from __future__ import annotations

from typing import Any

POWER_USER_ACCESS: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "NotAction": ["iam:*", "organizations:*", "account:*"],
            "Resource": "*",
        },
        {
            "Effect": "Allow",
            "Action": [
                "account:GetAccountInformation",
                "account:GetGovCloudAccountInformation",
                "account:GetPrimaryEmail",
                "account:ListRegions",
                "iam:CreateServiceLinkedRole",
                "iam:DeleteServiceLinkedRole",
                "iam:ListRoles",
                "organizations:DescribeEffectivePolicy",
                "organizations:DescribeOrganization",
            ],
            "Resource": "*",
        },
    ],
}

ADMINISTRATOR_ACCESS: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}

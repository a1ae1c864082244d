"""The AWS Load Balancer Controller's IAM policy.

Source: kubernetes-sigs/aws-load-balancer-controller, tag v3.5.0 (commit
11eb202c97e4ae2ee45e0658c4cde9a4b59f33d4), ``docs/install/iam_policy.json``, narrowed:
the WAF, Shield and Cognito statements are left out (the chart runs with
``enableWaf``/``enableWafv2``/``enableShield`` false: WAF sits on API Gateway), and
every statement is bound to this account and region.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam

CLUSTER_TAG = "elbv2.k8s.aws/cluster"

DESCRIBE_ACTIONS = (
    "ec2:DescribeAccountAttributes",
    "ec2:DescribeAddresses",
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeVpcs",
    "ec2:DescribeVpcPeeringConnections",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeInstances",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeTags",
    "ec2:GetCoipPoolUsage",
    "ec2:DescribeCoipPools",
    "ec2:GetSecurityGroupsForVpc",
    "ec2:DescribeIpamPools",
    "ec2:DescribeRouteTables",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeLoadBalancerAttributes",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeListenerCertificates",
    "elasticloadbalancing:DescribeSSLPolicies",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetGroupAttributes",
    "elasticloadbalancing:DescribeTargetHealth",
    "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeTrustStores",
    "elasticloadbalancing:DescribeListenerAttributes",
    "elasticloadbalancing:DescribeCapacityReservation",
    "acm:ListCertificates",
    "acm:DescribeCertificate",
)


def statements(account: str, region: str) -> list[iam.PolicyStatement]:
    elb = f"arn:aws:elasticloadbalancing:{region}:{account}"
    sg = f"arn:aws:ec2:{region}:{account}:security-group/*"
    balancers = [
        f"{elb}:targetgroup/*/*",
        f"{elb}:loadbalancer/net/*/*",
        f"{elb}:loadbalancer/app/*/*",
    ]
    owned = {"Null": {f"aws:ResourceTag/{CLUSTER_TAG}": "false"}}
    retag = {
        "Null": {f"aws:RequestTag/{CLUSTER_TAG}": "true", f"aws:ResourceTag/{CLUSTER_TAG}": "false"}
    }
    creating = {"Null": {f"aws:RequestTag/{CLUSTER_TAG}": "false"}}
    return [
        iam.PolicyStatement(
            sid="CreateTheLoadBalancingServiceLinkedRole",
            actions=["iam:CreateServiceLinkedRole"],
            resources=[f"arn:aws:iam::{account}:role/aws-service-role/*"],
            conditions={
                "StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}
            },
        ),
        iam.PolicyStatement(
            sid="Describe",
            actions=list(DESCRIBE_ACTIONS),
            # Describe/List calls support no resource-level permissions.
            resources=["*"],
            conditions={"StringEquals": {"aws:RequestedRegion": region}},
        ),
        iam.PolicyStatement(
            sid="CreateSecurityGroupsInTheVpc",
            actions=["ec2:CreateSecurityGroup"],
            resources=[sg, f"arn:aws:ec2:{region}:{account}:vpc/*"],
        ),
        iam.PolicyStatement(
            sid="TagSecurityGroupsItCreates",
            actions=["ec2:CreateTags"],
            resources=[sg],
            conditions={"StringEquals": {"ec2:CreateAction": "CreateSecurityGroup"}, **creating},
        ),
        iam.PolicyStatement(
            sid="RetagItsSecurityGroups",
            actions=["ec2:CreateTags", "ec2:DeleteTags"],
            resources=[sg],
            conditions=retag,
        ),
        # Node/pod security group rules for its load balancers' traffic (the target
        # groups' security groups are not tagged by the controller).
        iam.PolicyStatement(
            sid="ManageSecurityGroupRules",
            actions=["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"],
            resources=[sg],
        ),
        iam.PolicyStatement(
            sid="DeleteItsSecurityGroups",
            actions=["ec2:DeleteSecurityGroup"],
            resources=[sg],
            conditions=owned,
        ),
        iam.PolicyStatement(
            sid="CreateTaggedLoadBalancers",
            actions=[
                "elasticloadbalancing:CreateLoadBalancer",
                "elasticloadbalancing:CreateTargetGroup",
            ],
            resources=balancers,
            conditions=creating,
        ),
        iam.PolicyStatement(
            sid="ManageListenersAndRules",
            actions=[
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:DeleteListener",
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:DeleteRule",
                "elasticloadbalancing:ModifyListener",
                "elasticloadbalancing:AddListenerCertificates",
                "elasticloadbalancing:RemoveListenerCertificates",
                "elasticloadbalancing:ModifyRule",
                "elasticloadbalancing:SetRulePriorities",
            ],
            resources=[
                *balancers[1:],
                f"{elb}:listener/net/*/*/*",
                f"{elb}:listener/app/*/*/*",
                f"{elb}:listener-rule/net/*/*/*",
                f"{elb}:listener-rule/app/*/*/*",
            ],
        ),
        iam.PolicyStatement(
            sid="RetagItsLoadBalancers",
            actions=["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            resources=balancers,
            conditions=retag,
        ),
        iam.PolicyStatement(
            sid="TagListenersAndRules",
            actions=["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            resources=[
                f"{elb}:listener/net/*/*/*",
                f"{elb}:listener/app/*/*/*",
                f"{elb}:listener-rule/net/*/*/*",
                f"{elb}:listener-rule/app/*/*/*",
            ],
        ),
        iam.PolicyStatement(
            sid="ModifyItsLoadBalancers",
            actions=[
                "elasticloadbalancing:ModifyLoadBalancerAttributes",
                "elasticloadbalancing:SetIpAddressType",
                "elasticloadbalancing:SetSecurityGroups",
                "elasticloadbalancing:SetSubnets",
                "elasticloadbalancing:DeleteLoadBalancer",
                "elasticloadbalancing:ModifyTargetGroup",
                "elasticloadbalancing:ModifyTargetGroupAttributes",
                "elasticloadbalancing:DeleteTargetGroup",
                "elasticloadbalancing:ModifyListenerAttributes",
                "elasticloadbalancing:ModifyCapacityReservation",
                "elasticloadbalancing:ModifyIpPools",
            ],
            resources=balancers,
            conditions=owned,
        ),
        iam.PolicyStatement(
            sid="TagOnCreate",
            actions=["elasticloadbalancing:AddTags"],
            resources=balancers,
            conditions={
                "StringEquals": {
                    "elasticloadbalancing:CreateAction": [
                        "CreateTargetGroup",
                        "CreateLoadBalancer",
                    ]
                },
                **creating,
            },
        ),
        iam.PolicyStatement(
            sid="RegisterTargets",
            actions=[
                "elasticloadbalancing:RegisterTargets",
                "elasticloadbalancing:DeregisterTargets",
            ],
            resources=[f"{elb}:targetgroup/*/*"],
        ),
    ]

"""The managed node group for the system add-ons: a launch template that requires
IMDSv2 (hop limit 1: pods cannot reach the instance's credentials), encrypted gp3
volumes with the ``data`` key, no SSH, SSM for node access, and the
``CriticalAddonsOnly`` taint that keeps workloads on Karpenter's nodes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

SYSTEM_TAINT_KEY = "CriticalAddonsOnly"
SYSTEM_LABEL = {"node-role": "system"}
# Managed policies every EKS worker node role carries (EKS user guide, "Amazon EKS node
# IAM role"), plus SSM Session Manager instead of SSH.
NODE_MANAGED_POLICIES = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryPullOnly",
    "AmazonSSMManagedInstanceCore",
)
# (AMI family, architecture) -> node group AMI type, and the device of the volume that
# holds images and pod data (Bottlerocket: the second, data volume; AL2023: the root).
AMI_TYPES = {
    ("bottlerocket", "arm64"): (eks.NodegroupAmiType.BOTTLEROCKET_ARM_64, "/dev/xvdb"),
    ("bottlerocket", "amd64"): (eks.NodegroupAmiType.BOTTLEROCKET_X86_64, "/dev/xvdb"),
    ("al2023", "arm64"): (eks.NodegroupAmiType.AL2023_ARM_64_STANDARD, "/dev/xvda"),
    ("al2023", "amd64"): (eks.NodegroupAmiType.AL2023_X86_64_STANDARD, "/dev/xvda"),
}


def metadata_options() -> ec2.CfnLaunchTemplate.MetadataOptionsProperty:
    """IMDSv2 only; hop limit 1 so that containers (one hop further) cannot reach it.
    Pods get AWS credentials from EKS Pod Identity instead."""
    return ec2.CfnLaunchTemplate.MetadataOptionsProperty(
        http_endpoint="enabled",
        http_tokens="required",
        http_put_response_hop_limit=1,
    )


def node_role(scope: Construct, construct_id: str, description: str) -> iam.Role:
    return iam.Role(
        scope,
        construct_id,
        assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
        description=description,
        managed_policies=[
            iam.ManagedPolicy.from_aws_managed_policy_name(name) for name in NODE_MANAGED_POLICIES
        ],
    )


@dataclass(frozen=True)
class SystemNodeGroupProps:
    cluster: eks.ICluster
    subnets: Sequence[ec2.ISubnet]
    instance_types: Sequence[str]
    ami_family: Literal["bottlerocket", "al2023"]
    architecture: Literal["arm64", "amd64"]
    min_size: int
    desired_size: int
    max_size: int
    volume_size_gib: int
    volume_key: kms.IKey
    tags: Mapping[str, str]


class SystemNodeGroup(Construct):
    LAUNCH_TEMPLATE_ID: ClassVar[str] = "LaunchTemplate"

    def __init__(self, scope: Construct, construct_id: str, *, props: SystemNodeGroupProps) -> None:
        super().__init__(scope, construct_id)
        ami_type, device = AMI_TYPES[(props.ami_family, props.architecture)]
        self.launch_template = ec2.CfnLaunchTemplate(
            self,
            self.LAUNCH_TEMPLATE_ID,
            launch_template_data=ec2.CfnLaunchTemplate.LaunchTemplateDataProperty(
                metadata_options=metadata_options(),
                block_device_mappings=[
                    ec2.CfnLaunchTemplate.BlockDeviceMappingProperty(
                        device_name=device,
                        ebs=ec2.CfnLaunchTemplate.EbsProperty(
                            encrypted=True,
                            kms_key_id=props.volume_key.key_arn,
                            volume_size=props.volume_size_gib,
                            volume_type="gp3",
                            delete_on_termination=True,
                        ),
                    )
                ],
                # Instance and volume tags: the tag standard reaches what the group launches.
                tag_specifications=[
                    ec2.CfnLaunchTemplate.TagSpecificationProperty(
                        resource_type=kind,
                        tags=[{"key": k, "value": v} for k, v in sorted(props.tags.items())],
                    )
                    for kind in ("instance", "volume")
                ],
            ),
        )
        self.role = node_role(self, "NodeRole", "EKS system node group instances")
        self.nodegroup = eks.Nodegroup(
            self,
            "Nodegroup",
            cluster=props.cluster,
            ami_type=ami_type,
            capacity_type=eks.CapacityType.ON_DEMAND,
            instance_types=[ec2.InstanceType(t) for t in props.instance_types],
            min_size=props.min_size,
            desired_size=props.desired_size,
            max_size=props.max_size,
            subnets=ec2.SubnetSelection(subnets=list(props.subnets)),
            node_role=self.role,
            launch_template_spec=eks.LaunchTemplateSpec(
                id=self.launch_template.ref,
                version=self.launch_template.attr_latest_version_number,
            ),
            labels=dict(SYSTEM_LABEL),
            taints=[
                eks.TaintSpec(
                    effect=eks.TaintEffect.NO_SCHEDULE, key=SYSTEM_TAINT_KEY, value="true"
                )
            ],
            enable_node_auto_repair=True,
            max_unavailable=1,
        )

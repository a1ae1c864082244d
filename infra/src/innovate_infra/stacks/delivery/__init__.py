"""Delivery stacks (issue #11): in the Development account the stateful artifacts (key,
image repository, buckets, log groups), the application pipeline and the CDK Pipelines
pipeline of this infrastructure; in the Production account the deployer role."""

"""Delivery (issue #11): the image repository, build projects, scan alarms and the
cross-account deployer role."""

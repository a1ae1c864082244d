"""Stacks of one environment (dev, staging, prod), in its workload account."""

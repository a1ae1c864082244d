"""EKS: the cluster, its nodes, Karpenter, add-ons, namespaces and workload identities."""

"""Kubernetes API: a small httpx client, the pod log source."""

"""Argo CD API: a small httpx client, the application status log source."""

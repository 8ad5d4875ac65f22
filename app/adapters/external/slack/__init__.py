"""Slack Web API client."""

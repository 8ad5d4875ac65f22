"""Slack notifications: Block Kit messages built from incident views (pure)."""

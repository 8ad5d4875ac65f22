"""The outside world: database, AI services, external APIs, queues, secrets."""

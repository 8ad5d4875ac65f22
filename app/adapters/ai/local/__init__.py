"""Local, model-free stand-ins for the AI services (used offline and in tests)."""

"""Small query objects, one per table family; each takes a Session so callers own the transaction."""

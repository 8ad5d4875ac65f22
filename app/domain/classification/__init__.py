"""Failure classification that needs no network: rules from a data file, neighbour voting."""

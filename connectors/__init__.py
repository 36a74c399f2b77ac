"""Connectors: one module per target system behind the contract in ``connectors.base``."""

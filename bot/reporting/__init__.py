"""Lifecycle metrics from the ledger and the audit log, their renderings, and the evidence pack."""

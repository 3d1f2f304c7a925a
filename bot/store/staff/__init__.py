"""Staff's tables: the audit log and confirmations, human handoffs, broadcasts."""

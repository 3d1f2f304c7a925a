"""The running bot: ingress, the pipeline and its router, outgoing replies, the outbox sender."""

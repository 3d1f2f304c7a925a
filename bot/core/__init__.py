"""The shared vocabulary: messages, replies, the adapter contract, errors, clock, ports."""

"""The terminal shell's channel: typed lines in, plain text out."""

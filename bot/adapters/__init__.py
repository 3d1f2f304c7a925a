"""The channels: one sub-package a platform; each only translates bytes and replies.

Nothing here imports the adapters: `registry.py` lists them, so that importing one adapter
does not load the others.
"""

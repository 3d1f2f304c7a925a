"""WhatsApp Cloud API: signed JSON webhooks in, Graph API sends out (docs/platforms.md §3)."""

"""The web chat widget's channel: JSON from the browser in, JSON replies out."""

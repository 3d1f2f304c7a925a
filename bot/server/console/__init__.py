"""The staff console at /console: pages and forms over the staff features, no logic of its own."""

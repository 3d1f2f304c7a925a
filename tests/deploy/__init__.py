"""The deployment files: the Docker image, compose, the service unit."""

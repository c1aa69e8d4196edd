"""One module per monitoring tool; each defines ``INTEGRATION`` and is found by the registry."""

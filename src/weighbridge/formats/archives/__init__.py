"""Archive and compression containers: every member is routed back through the dispatcher."""

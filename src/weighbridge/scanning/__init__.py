"""Dispatch by content, scan files in parallel, assemble the report."""

"""Clause detectors: each module reads the sentences of a licence and records the terms it finds.

They detect clauses, not licence names, so they work on licences they have never seen. Every term set
is recorded with the sentence that says so (``Collector.add``).
"""

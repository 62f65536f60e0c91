"""Readers of the metadata a model states about itself, shared by ``license`` and ``provenance``.

``card``: the YAML front matter of a model card (``yaml.safe_load`` semantics, bounded, every key's line).
``gguf_general``: the ``general.*`` key/value metadata of a GGUF file (bounded, every key's byte offset).
Both only parse: nothing is loaded or executed, and bad input becomes a ``MetadataProblem``.
"""

"""Opcode-level pickle analysis and the global policy."""

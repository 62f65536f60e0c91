"""Format parsers. None of them loads, imports or executes what it reads."""

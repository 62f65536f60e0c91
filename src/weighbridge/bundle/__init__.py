"""Air-gap bundles: admitted models, their registry records, lockfiles and signatures in one tar archive
(``export``), taken into another registry only after every hash is checked, every model scanned again and
decided by that registry's own policy (``importer``)."""

from __future__ import annotations

from .export import ExportRefused, export_bundle
from .importer import import_bundle

__all__ = ["ExportRefused", "export_bundle", "import_bundle"]

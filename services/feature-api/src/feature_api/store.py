"""The document type under its old address, for ``projection.py`` only.

``projection.py`` is being replaced by the shared consumer runner; its import
moves to ``feature_api.unit_of_work`` with it, and this module goes then.
"""

from feature_api.unit_of_work import Document

__all__ = ["Document"]

"""Validation of a package folder or an uttrekk: XSD plus Arkade-5-style rules, one class per rule.

``validate_path(path, xsd_dir) -> Report``; the rules are listed in ``noark.validate.registry`` and their ids
in ``noark.validate.rule_ids`` (Arkade 5 test ids in noark/README.md).
"""

from noark.validate.engine import FULL_TREE_ERROR_LISTING_MAX_BYTES, NOT_WELL_FORMED, validate_path
from noark.validate.report import Report

__all__ = ["FULL_TREE_ERROR_LISTING_MAX_BYTES", "NOT_WELL_FORMED", "Report", "validate_path"]

"""Delivery of archive packages to the municipality's own archive system over KS Fiks Arkiv / Fiks IO."""

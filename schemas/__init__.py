"""Data contracts: the canonical thread model, its JSON Schema, and the package manifest schema."""

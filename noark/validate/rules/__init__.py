"""Validation rules, grouped by the file whose pass feeds them."""

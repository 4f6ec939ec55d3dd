"""The pipeline: export, review and delivery steps composed from the domain packages (plain functions)."""

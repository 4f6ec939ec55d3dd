"""Prefect flows and tasks only: thin orchestration over exporters/, noark/ and schemas/."""

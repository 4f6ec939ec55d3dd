"""Noark 5 domain: model, code lists, XML writers and validation. Pure: no network, no Prefect."""

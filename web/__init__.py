"""The web layer: the HTTP API (``web.api``) now, the editors' and archivists' web app later."""

"""Application shell: settings and the ``somearkiv`` command line."""

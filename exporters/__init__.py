"""Thread to PDF/A, package assembly (manifest, checksums) and bucket sinks (local folder, S3)."""

"""Demo of delivery over Fiks Arkiv on this machine: start the local RabbitMQ, Fiks IO and archive
stand-ins, export the bundled sample threads and deliver the journal-required ones, then print the journal
numbers the archive assigned. ``python -m tests.fiks.demo [--bucket DIR]`` inside ``./dev sh``."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from pipeline.settings import Settings
from storage.local import LocalSink
from tests.fiks.environment import start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bucket", type=Path, default=Path("archive-bucket"))
    args = parser.parse_args(argv)
    settings = Settings()
    with tempfile.TemporaryDirectory(prefix="somearkiv-fiks-") as folder:
        print("starter RabbitMQ, Fiks IO og arkivet (lokale stand-ins) …", flush=True)
        environment = start(Path(folder), settings.require_xsd_dir(), timeout=timedelta(seconds=60))
        try:
            os.environ.update(environment.settings_env())
            os.environ["SOMEARKIV_FIKS_RECEIPT_TIMEOUT_S"] = "60"
            os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")  # busy machines
            from flows.deliver import export_then_deliver
            from pipeline.delivery import assigned_numbers

            summary = export_then_deliver(bucket=str(args.bucket), source_dir=str(settings.samples_dir))
            sink = LocalSink(args.bucket)
            for result in summary["results"]:  # type: ignore[union-attr]
                numbers = assigned_numbers(sink, result["package_id"])
                shown = f"journalnummer {numbers.journalnummer}, saksnummer {numbers.saksnummer}" if numbers else ""
                print(f"{result['package_id']}: {result['status']} {shown}")
        finally:
            environment.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

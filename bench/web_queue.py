"""The archivist's review queue with 10,000 (or --packages N) indexed packages: page load times.

Prints the median time of the first page, a deep page and a filtered page, through the real app (FastAPI's
test client, signed in) on a SQLite workflow database. Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient

from storage.config import RetentionPolicy
from storage.local import LocalSink
from web.app import Deps, create_app
from web.auth import set_password
from web.config import WebConfig
from workflow.db import Database, upgrade
from workflow.packages import PackageRow, add_packages
from workflow.users import add_user

PLATFORMS = ["facebook", "instagram", "x", "youtube", "linkedin", "tiktok"]
UNITS = ["Kommunikasjonsavdelingen", "Oppvekst og kultur", "Helse og omsorg", "Teknisk etat"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--packages", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/wf.sqlite3"
        upgrade(url)
        db = Database(url)
        add_user(db, "arne", display_name="Arne Arkivar", roles=["archivist"], by="bench")
        set_password(db, "arne", "bench-passord-lang-nok")
        add_user(db, "tone", display_name="Tone Redaktør", roles=["editor"], unit=UNITS[1], by="bench")
        set_password(db, "tone", "bench-passord-lang-nok")
        start = datetime(2026, 1, 1, tzinfo=UTC)
        rows = [
            PackageRow(
                package_id=f"{PLATFORMS[i % 6]}-{i}-{i:016x}", thread_key=f"{PLATFORMS[i % 6]}-{i}",
                platform=PLATFORMS[i % 6], account=f"Konto {i % 40}", owning_unit=UNITS[i % 4],
                title=f"Tråd nummer {i}", case_number=f"2026/{i % 500}", flag_kind="journal-required",
                comments=i % 300, sensitive=False, exported_at=start + timedelta(minutes=i),
                status=("pending", "approved", "rejected")[i % 3],
            )
            for i in range(args.packages)
        ]
        began = time.perf_counter()
        add_packages(db, rows)
        print(f"indexed {args.packages} packages in {time.perf_counter() - began:.2f} s")
        deps = Deps(config=WebConfig(secret_key="b" * 48, cache_dir=Path(tmp) / "cache"), db=db,
                    sink=LocalSink(Path(tmp) / "bucket"), xsd_dir=None, retention=RetentionPolicy())
        app = create_app(deps)
        client, editor = TestClient(app), TestClient(app)
        for who, username in ((client, "arne"), (editor, "tone")):
            page = who.get("/logg-inn").text
            token = page.split('name="csrf_token" value="')[1].split('"')[0]
            who.post("/logg-inn", data={"csrf_token": token, "brukernavn": username,
                                        "passord": "bench-passord-lang-nok"})
        last = args.packages // 3 // 25
        print(f"{'page':<40} {'median ms':>10} {'max ms':>8}")
        for who, label, path in [
            (client, "first page, til gjennomgang", "/gjennomgang?status=pending"),
            (client, f"page {last}, til gjennomgang", f"/gjennomgang?status=pending&side={last}"),
            (client, "filtered: platform + unit + case", "/gjennomgang?status=alle&plattform=x&enhet=Teknisk+etat"
                                                          "&saksnummer=2026%2F12"),
            (client, "start page, archivist (3 charts)", "/"),
            (editor, "start page, editor (candidates, charts)", "/"),
            (editor, "candidates, editor", "/kandidater"),
            (editor, "moderation log, editor", "/moderering"),
        ]:
            times = []
            for _ in range(args.repeat):
                began = time.perf_counter()
                answer = who.get(path)
                times.append((time.perf_counter() - began) * 1000)
                if answer.status_code != 200:
                    raise SystemExit(f"{path}: HTTP {answer.status_code}")
            print(f"{label:<40} {statistics.median(times):>10.1f} {max(times):>8.1f}")
        db.dispose()


if __name__ == "__main__":
    main()

"""Done-when check: a re-capture that finds a deleted and an edited comment gives a package whose thread
document shows both (the removed comment with its text and when it was found gone, the edit's old text)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from exporters.package import build_package
from noark.model import NoarkContext
from pipeline.settings import Settings
from schemas.refs import ThreadRef
from schemas.thread import Platform
from sources.accounts import AccountRegistry
from sources.capture import load_thread
from sources.connectors.runner import capture_one
from sources.connectors.store import MediaPolicy
from tests.replay.helpers import Sleeps, config_for
from tests.replay.server import Reply, fixture, fixture_data, replay_server

POST = "100064123456789_1234567890123456"
SPAM = "1234567890123456_987654321099100"
REGISTRY = AccountRegistry.model_validate({"accounts": [{
    "key": "fjordvik-facebook", "platform": "facebook", "platform_id": "100064123456789",
    "display_name": "Fjordvik kommune", "owning_unit": "Kommunikasjonsavdelingen", "editors": ["kari"],
    "credentials_ref": "env:T", "noark": {"arkivdel": "Sosiale medier"}}]})


def test_recapture_with_deleted_and_edited_comment_shows_in_the_pdf(tmp_path: Path) -> None:
    ref = ThreadRef(Platform.FACEBOOK, POST, "fjordvik-facebook")
    with replay_server() as server:
        config = config_for(server.url, Sleeps())
        server.add(f"/v25.0/{POST}", fixture("facebook/post.json"))
        server.add(f"/v25.0/{POST}/comments", fixture("facebook/comments_p1.json"))
        server.add(f"/v25.0/{POST}/comments", fixture("facebook/comments_p2.json"), query={"after": "QVFIUnh5ejEyMzQ1"})
        assert capture_one(tmp_path, ref, REGISTRY, {"env:T": "x"}.get, config, MediaPolicy(enabled=False)).status \
            == "captured"
        p1 = fixture_data("facebook/comments_p1.json")
        p1["data"][0]["message"] = "Når er fristen? Fant det, takk!"
        p2 = fixture_data("facebook/comments_p2.json")
        p2["data"] = [c for c in p2["data"] if c["id"] != SPAM]
        server.add(f"/v25.0/{POST}/comments", Reply.json(p1))
        server.add(f"/v25.0/{POST}/comments", Reply.json(p2), query={"after": "QVFIUnh5ejEyMzQ1"})
        second = capture_one(tmp_path, ref, REGISTRY, {"env:T": "x"}.get, config, MediaPolicy(enabled=False))
    assert (second.removed, second.edited) == (1, 1)
    thread = load_thread(tmp_path / "threads" / f"facebook-{POST}.json")
    settings = Settings()
    built = build_package(thread, None, media_dir=tmp_path / "media", work_dir=tmp_path / "work",
                          exported_at=datetime.now(UTC),
                          ctx=NoarkContext(arkiv_title="A", arkivdel_title="B", municipality="Fjordvik kommune",
                                           system_name="somearkiv", archivist="somearkiv",
                                           pdfa_part=settings.pdfa_part))
    pdf = next((built.directory / "DOKUMENT").glob("*.pdf"))
    assert shutil.which("pdftotext"), "poppler-utils is installed by ./dev test"
    text = " ".join(subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True,
                                   text=True).stdout.split())
    assert "Dette er spam: kjøp billige klokker" in text  # the deleted comment's text is kept
    assert "Ukjent (observert på plattformen)" in text and "oppdaget ved innsamling" in text
    assert "Fant det, takk!" in text and "Når er høringsfristen for reguleringsplanen på Ås?" in text  # both texts
    assert (built.directory / "arkivstruktur.xml").is_file()

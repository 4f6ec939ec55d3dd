"""The demo against the replay server: capture six threads (one per platform) with the real connectors and the
``capture-threads`` flow, re-capture after a comment was deleted and another edited, flag them and export
them with the ``export-threads`` flow.

    .venv/bin/python -m tests.replay.demo [--out DIR] [--bucket URL]

Nothing leaves 127.0.0.1: the replay server plays the platforms, media on real CDNs is not fetched.
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import UTC, datetime
from pathlib import Path

from schemas.refs import ThreadRef
from schemas.thread import Platform
from tests.replay.server import ReplayServer, Reply, fixture, fixture_data, replay_server

ACCOUNTS = [
    ("fjordvik-facebook", "facebook", "100064123456789", "Fjordvik kommune", "Kommunikasjonsavdelingen"),
    ("fjordvik-bibliotek-instagram", "instagram", "17841400000000999", "Fjordvik bibliotek", "Biblioteket"),
    ("fjordvik-x", "x", "900000000000000001", "Fjordvik kommune", "Kommunikasjonsavdelingen"),
    ("fjordvik-youtube", "youtube", "UCexampleKommune00000000", "Fjordvik kommune", "Politisk sekretariat"),
    ("fjordvik-linkedin", "linkedin", "1234567", "Fjordvik kommune", "HR-avdelingen"),
    ("fjordvik-tiktok", "tiktok", "eksempelkommune", "Fjordvik ungdomsråd", "Kultur og fritid"),
]
REFS = [
    ThreadRef(Platform.FACEBOOK, "100064123456789_1234567890123456", "fjordvik-facebook"),
    ThreadRef(Platform.INSTAGRAM, "17900000000000001", "fjordvik-bibliotek-instagram"),
    ThreadRef(Platform.X, "1853000000000000001", "fjordvik-x"),
    ThreadRef(Platform.YOUTUBE, "AbCdEfGhIjK", "fjordvik-youtube"),
    ThreadRef(Platform.LINKEDIN, "urn:li:ugcPost:7390000000000000001", "fjordvik-linkedin"),
    ThreadRef(Platform.TIKTOK, "7429000000000000001", "fjordvik-tiktok"),
]
FB = "/v25.0/100064123456789_1234567890123456"


def serve_all(server: ReplayServer, *, changed: bool = False) -> None:
    """Every platform's fixtures; ``changed``: one Facebook comment deleted and another edited."""
    server.add(FB, fixture("facebook/post.json"))
    p1, p2 = fixture_data("facebook/comments_p1.json"), fixture_data("facebook/comments_p2.json")
    if changed:
        p1["data"][0]["message"] = "Når er høringsfristen? Fant svaret på nettsiden, takk!"
        p2["data"] = [c for c in p2["data"] if not c["message"].startswith("Dette er spam")]
    server.add(f"{FB}/comments", Reply.json(p1))
    server.add(f"{FB}/comments", Reply.json(p2), query={"after": "QVFIUnh5ejEyMzQ1"})
    server.add("/v25.0/100064123456789/published_posts", Reply.json(
        {"data": [{"id": "100064123456789_1234567890123456", "created_time": "2026-10-02T06:30:00+0000"}]}))
    server.add("/v25.0/17841400000000999/media", Reply.json(
        {"data": [{"id": "17900000000000001", "timestamp": "2026-07-01T09:00:00+0000"}]}))
    server.add("/2/users/900000000000000001/tweets", Reply.json({"data": [{"id": "1853000000000000001"}], "meta": {}}))
    server.add("/youtube/v3/channels", Reply.json({"items": [{"contentDetails": {"relatedPlaylists": {
        "uploads": "UUexampleKommune00000000"}}}]}))
    server.add("/youtube/v3/playlistItems", Reply.json({"items": [{"contentDetails": {
        "videoId": "AbCdEfGhIjK", "videoPublishedAt": "2026-09-01T10:00:00Z"}}]}))
    server.add("/rest/posts", Reply.json({"elements": [{"id": "urn:li:ugcPost:7390000000000000001",
                                                        "publishedAt": 1762150000000}], "paging": {}}))
    server.add("/v25.0/17900000000000001", fixture("instagram/media.json"))
    server.add("/v25.0/17900000000000001/comments", fixture("instagram/comments_p1.json"))
    server.add("/v25.0/17900000000000001/comments", fixture("instagram/comments_p2.json"),
               query={"after": "QVFIUmFmdGVy"})
    server.add("/v25.0/17912345678901234/replies", fixture("instagram/replies.json"))
    server.add("/2/tweets/1853000000000000001", fixture("x/tweet.json"))
    server.add("/2/tweets/search/recent", fixture("x/search_p1.json"))
    server.add("/2/tweets/search/recent", fixture("x/search_p2.json"),
               query={"next_token": "b26v89c19zqg8o3frr3bd7xmpvwqy4d7m"})
    server.add("/youtube/v3/videos", fixture("youtube/video.json"))
    server.add("/youtube/v3/commentThreads", fixture("youtube/threads_p1.json"))
    server.add("/youtube/v3/commentThreads", fixture("youtube/threads_p2.json"),
               query={"pageToken": "QURTSl9pM1RleGFtcGxl"})
    server.add("/youtube/v3/comments", fixture("youtube/replies.json"))
    server.add("/rest/posts/urn:li:ugcPost:7390000000000000001", fixture("linkedin/post.json"))
    server.add("/rest/socialActions/urn:li:ugcPost:7390000000000000001/comments", fixture("linkedin/comments_p1.json"))
    server.add("/rest/socialActions/urn:li:comment:(urn:li:activity:7390000000000000001,7390000000000000101)/comments",
               fixture("linkedin/replies.json"))
    server.add("/open_api/v1.3/business/video/list/", fixture("tiktok/video_list.json"))
    server.add("/open_api/v1.3/business/comment/list/", fixture("tiktok/comments_p1.json"), query={"cursor": "0"})
    server.add("/open_api/v1.3/business/comment/list/", fixture("tiktok/comments_p2.json"), query={"cursor": "1"})
    server.add("/open_api/v1.3/business/comment/reply/list/", fixture("tiktok/replies.json"))


def write_accounts(path: Path) -> None:
    accounts = [{"key": key, "platform": platform, "platform_id": pid, "display_name": name, "owning_unit": unit,
                 "editors": ["redaktør"], "credentials_ref": "env:SOMEARKIV_REPLAY_TOKEN",
                 "noark": {"arkivdel": "Dialog i sosiale medier", "series": platform},
                 **({"business_id": "open-id-demo"} if platform == "tiktok" else {})}
                for key, platform, pid, name, unit in ACCOUNTS]
    path.write_text(json.dumps({"accounts": accounts}, ensure_ascii=False, indent=2), encoding="utf-8")


def main() -> None:
    from flows.capture import capture_threads
    from flows.export import export_threads
    from sources.capture import load_thread

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("build/replay-demo"))
    parser.add_argument("--bucket", default=None)
    args = parser.parse_args()
    captures = args.out / "captures"
    accounts = args.out / "accounts.json"
    args.out.mkdir(parents=True, exist_ok=True)
    write_accounts(accounts)
    os.environ["SOMEARKIV_REPLAY_TOKEN"] = "replay-token-not-secret"
    with replay_server() as server:
        os.environ["SOMEARKIV_REPLAY_BASE_URL"] = server.url
        serve_all(server)
        capture_threads(refs=REFS, capture_dir=str(captures), accounts_file=str(accounts))
        serve_all(server, changed=True)
        capture_threads(recapture_days=36500, capture_dir=str(captures), accounts_file=str(accounts))
    flags = []
    for path in sorted((captures / "threads").glob("*.json")):
        thread = load_thread(path)
        flags.append({"thread_url": thread.url, "kind": "journal-required", "case_number": "2026/1234",
                      "flagged_by": "redaktør", "flagged_at": datetime.now(UTC).isoformat()})
    (captures / "flags.json").write_text(json.dumps(flags, ensure_ascii=False, indent=2), encoding="utf-8")
    (captures / "media").mkdir(exist_ok=True)
    run = export_threads(bucket=args.bucket, source_dir=str(captures))
    for result in run.results:
        print(f"{result.package_id}: {result.status}")
    for key, message in run.failures:
        print(f"{key}: FEILET {message.splitlines()[0]}")


if __name__ == "__main__":
    main()

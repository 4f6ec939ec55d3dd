"""The web app through FastAPI's test client: sign-in, roles, CSRF, headers, the queue and decisions."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.web_support import PASSWORD, WebWorld, demo_bucket_template, make_world
from web.app import create_app
from workflow.packages import PackageFilter, query_packages

__all__ = ["demo_bucket_template"]


@pytest.fixture
def world(tmp_path: Path, demo_bucket_template: Path, xsd_dir: Path) -> Iterator[WebWorld]:
    made = make_world(tmp_path, demo_bucket_template, xsd_dir)
    yield made
    made.deps.db.dispose()


def _client(world: WebWorld) -> TestClient:
    return TestClient(create_app(world.deps), follow_redirects=False)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> None:
    token = _csrf(client.get("/logg-inn").text)
    answer = client.post("/logg-inn", data={"csrf_token": token, "brukernavn": username, "passord": password,
                                            "neste": "/"})
    assert answer.status_code == 303, answer.text[:300]


def test_pages_need_sign_in_and_wrong_passwords_fail(world: WebWorld) -> None:
    client = _client(world)
    assert client.get("/gjennomgang").status_code == 303
    assert client.get("/api/flags").status_code == 401
    token = _csrf(client.get("/logg-inn").text)
    wrong = client.post("/logg-inn", data={"csrf_token": token, "brukernavn": "arne", "passord": "feil-passord-her"})
    assert wrong.status_code == 401 and "Feil brukernavn eller passord" in wrong.text
    nobody = client.post("/logg-inn", data={"csrf_token": token, "brukernavn": "ingen", "passord": PASSWORD})
    assert nobody.status_code == 401


def test_every_form_without_its_csrf_token_is_refused(world: WebWorld) -> None:
    client = _client(world)
    client.get("/logg-inn")
    assert client.post("/logg-inn", data={"brukernavn": "arne", "passord": PASSWORD}).status_code == 403
    sign_in(client, "arne")
    package = query_packages(world.deps.db, PackageFilter()).rows[0].package_id
    for path in (f"/pakker/{package}/godkjenn", f"/pakker/{package}/avvis", "/flagg", "/logg-ut"):
        assert client.post(path, data={"kommentar": "x", "csrf_token": "forged"}).status_code == 403, path
    assert client.post("/api/flags", json={"url": "https://x.com/a/status/1"}).status_code == 403
    assert query_packages(world.deps.db, PackageFilter(status="pending")).total == 9


def test_security_headers_and_session_cookie(world: WebWorld) -> None:
    client = _client(world)
    page = client.get("/logg-inn")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff" and page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_expired_or_forged_sessions_are_not_accepted(world: WebWorld) -> None:
    client = _client(world)
    sign_in(client, "arne")
    assert client.get("/gjennomgang").status_code == 200
    value = client.cookies["somearkiv_session"]
    client.cookies.clear()
    client.cookies.set("somearkiv_session", value[:-4] + ("AAAA" if not value.endswith("AAAA") else "BBBB"))
    assert client.get("/gjennomgang").status_code == 303
    fresh = _client(world)
    sign_in(fresh, "arne")
    expired = create_app(replace(world.deps, config=replace(world.deps.config, session_minutes=0)))
    late = TestClient(expired, follow_redirects=False, cookies=dict(fresh.cookies))
    time.sleep(1.1)
    assert late.get("/gjennomgang").status_code == 303


def test_archivist_queue_filters_counts_and_pages(world: WebWorld) -> None:
    client = _client(world)
    sign_in(client, "arne")
    page = client.get("/gjennomgang?status=pending")
    assert page.status_code == 200 and "til gjennomgang (9)" in page.text
    facebook = client.get("/gjennomgang?status=alle&plattform=facebook")
    assert facebook.text.count('href="/pakker/facebook-') == 3
    unit = client.get("/gjennomgang?status=alle&enhet=Teknisk+etat")
    assert unit.text.count('href="/pakker/') == 1
    assert client.get("/gjennomgang?fra=i-går").status_code == 400


def test_package_page_shows_pages_noark_manifest_and_validation(world: WebWorld) -> None:
    client = _client(world)
    sign_in(client, "arne")
    row = query_packages(world.deps.db, PackageFilter(platform="youtube")).rows[0]
    page = client.get(f"/pakker/{row.package_id}")
    assert page.status_code == 200
    text = page.text
    assert "Noark-metadata" in text and "journalpost" in text and "tilknyttetRegistreringSom" in text
    assert "filer stemmer med manifestet" in text and "Gyldig" in text
    image = client.get(f"/pakker/{row.package_id}/sider/1.png")
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    assert client.get(f"/pakker/{row.package_id}/sider/999.png").status_code == 404


@pytest.mark.parametrize("bad", ["..%2F..%2Fetc%2Fpasswd", "facebook-1-0000000000000000", "a" * 400, "%00"])
def test_package_ids_cannot_reach_outside(world: WebWorld, bad: str) -> None:
    client = _client(world)
    sign_in(client, "arne")
    assert client.get(f"/pakker/{bad}").status_code == 404
    assert client.get(f"/pakker/{bad}/sider/1.png").status_code in {404, 422}


def test_approve_locks_and_reject_needs_a_comment_that_reaches_the_editor(world: WebWorld) -> None:
    client = _client(world)
    sign_in(client, "arne")
    rows = query_packages(world.deps.db, PackageFilter(platform="facebook")).rows
    token = _csrf(client.get(f"/pakker/{rows[0].package_id}").text)
    assert client.post(f"/pakker/{rows[0].package_id}/godkjenn", data={"csrf_token": token}).status_code == 303
    assert (world.bucket / "_reviews" / f"{rows[0].package_id}.json").is_file()
    empty = client.post(f"/pakker/{rows[1].package_id}/avvis", data={"csrf_token": token, "kommentar": " "})
    assert empty.status_code == 400 and "kommentar" in empty.text
    done = client.post(f"/pakker/{rows[1].package_id}/avvis", data={"csrf_token": token,
                                                                    "kommentar": "Mangler skjermbilde"})
    assert done.status_code == 303
    counts = query_packages(world.deps.db, PackageFilter(platform="facebook")).counts
    assert counts == {"pending": 1, "approved": 1, "rejected": 1}
    assert "Mangler skjermbilde" in client.get(f"/pakker/{rows[1].package_id}").text


def test_editor_cannot_approve_nor_see_another_units_packages(world: WebWorld) -> None:
    client = _client(world)
    sign_in(client, "teknisk")
    queue = client.get("/gjennomgang?status=alle")
    assert queue.text.count('href="/pakker/') == 1 and 'href="/pakker/x-' in queue.text
    other = query_packages(world.deps.db, PackageFilter(platform="youtube")).rows[0].package_id
    assert client.get(f"/pakker/{other}").status_code == 404
    mine = query_packages(world.deps.db, PackageFilter(platform="x")).rows[0].package_id
    token = _csrf(client.get(f"/pakker/{mine}").text)
    assert client.post(f"/pakker/{mine}/godkjenn", data={"csrf_token": token}).status_code == 403
    assert query_packages(world.deps.db, PackageFilter(platform="x")).rows[0].status == "pending"


def test_editor_flags_by_url_and_sees_the_existing_flag_on_a_second_try(world: WebWorld) -> None:
    client = _client(world)
    sign_in(client, "tone")
    token = _csrf(client.get("/flagg").text)
    form = {"csrf_token": token, "url": "https://www.facebook.com/fjordvikoppvekst/posts/123456789",
            "type": "journal-required", "saksnummer": "2026/77", "grunn": "høringsinnspill"}
    first = client.post("/flagg", data=form)
    assert first.status_code == 200 and "Flagget:" in first.text and "2026/77" in first.text
    second = client.post("/flagg", data=form)
    assert "allerede" in second.text or "finnes" in second.text
    bad = client.post("/flagg", data={**form, "url": "javascript:alert(1)"})
    assert "Ikke flagget" in bad.text
    api = client.get("/api/flags").json()
    assert [f["case_number"] for f in api] == ["2026/77"]


def test_hostile_form_input_is_refused_cleanly(world: WebWorld) -> None:
    client = _client(world)
    sign_in(client, "tone")
    token = _csrf(client.get("/flagg").text)
    huge = client.post("/flagg", content=b"csrf_token=" + token.encode() + b"&url=" + b"a" * 70000,
                       headers={"content-type": "application/x-www-form-urlencoded"})
    assert huge.status_code == 413
    for url in ("https://www.facebook.com/x/posts/\x00", "\u202ehttps://x", "https://www.facebook.com/x/posts/1%"):
        answer = client.post("/flagg", data={"csrf_token": token, "url": url})
        assert answer.status_code == 200 and "Ikke flagget" in answer.text, url
    lone_surrogate = b"&url=https%3A%2F%2Fwww.facebook.com%2F%ED%A0%80%2Fposts%2F1"  # invalid UTF-8 escapes
    answer = client.post("/flagg", content=b"csrf_token=" + token.encode() + lone_surrogate,
                         headers={"content-type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 400 and "kunne ikke leses" in answer.text
    assert client.get("/api/flags").json() == []


def test_proxy_mode_trusts_the_header_only_from_a_trusted_peer(world: WebWorld) -> None:
    config = replace(world.deps.config, auth="proxy", trusted_proxies=("testclient",))
    app = create_app(replace(world.deps, config=config))
    trusted = TestClient(app, follow_redirects=False)
    assert trusted.get("/gjennomgang", headers={"X-Remote-User": "arne"}).status_code == 200
    assert trusted.get("/gjennomgang", headers={"X-Remote-User": "ingen"}).status_code == 303
    untrusted = TestClient(create_app(replace(world.deps, config=replace(world.deps.config, auth="proxy"))),
                           follow_redirects=False)
    assert untrusted.get("/gjennomgang", headers={"X-Remote-User": "arne"}).status_code == 303


def test_a_web_flag_sends_the_flag_event_or_says_the_nightly_run_takes_it(world: WebWorld) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    client = _client(world)
    sign_in(client, "tone")
    token = _csrf(client.get("/flagg").text)
    form = {"csrf_token": token, "url": "https://www.facebook.com/fjordvikoppvekst/posts/99887766",
            "type": "journal-required", "saksnummer": "2026/78"}
    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:9/api"}):  # nothing listens there
        answer = client.post("/flagg", data=form)
    assert "Flagget:" in answer.text and "neste nattlige kjøring" in answer.text

"""Hostile requests to the web app: every answer is a 4xx with a Norwegian message naming what was wrong, never a
500, never FastAPI's English defaults and never an echo of the hostile value."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.web_support import PASSWORD, WebWorld, csrf_of, demo_bucket_template, make_world
from web.app import create_app

__all__ = ["demo_bucket_template"]

ENGLISH = ("Not Found", "Method Not Allowed", "Internal Server Error", "Field required", "Input should",
           "There was an error", "validation error", "Traceback", "Value error", "Unprocessable")
HUGE = "99999999999999999999999"
I64 = "9223372036854775808"


@pytest.fixture
def world(tmp_path: Path, demo_bucket_template: Path, xsd_dir: Path) -> Iterator[WebWorld]:
    made = make_world(tmp_path, demo_bucket_template, xsd_dir)
    yield made
    made.deps.db.dispose()


def _client(world: WebWorld, username: str) -> TestClient:
    client = TestClient(create_app(world.deps), follow_redirects=False, raise_server_exceptions=False)
    token = csrf_of(client.get("/logg-inn").text)
    answer = client.post("/logg-inn", data={"csrf_token": token, "brukernavn": username, "passord": PASSWORD})
    assert answer.status_code == 303
    return client


def _refused(answer: object, *, status: set[int] | None = None, names: str | None = None) -> str:
    """The answer's text, after checking it is a Norwegian 4xx (naming ``names`` when given)."""
    code, text = answer.status_code, answer.text  # type: ignore[attr-defined]
    assert 400 <= code < 500, (code, text[:300])
    if status is not None:
        assert code in status, (code, text[:300])
    for english in ENGLISH:
        assert english not in text, (english, text[:500])
    if names is not None:
        assert names in text, text[:500]
    return text


@pytest.mark.parametrize("path,names", [
    (f"/gjennomgang?side={HUGE}", "side"),
    (f"/gjennomgang?side={I64}", "side"),
    ("/gjennomgang?side=922337203685477580", "side"),
    ("/gjennomgang?side=0", "side"),
    ("/gjennomgang?side=-5", "side"),
    ("/gjennomgang?side=abc", "side"),
    ("/gjennomgang?fra=2026-13-01", "ÅÅÅÅ-MM-DD"),
    (f"/pakker/x/sider/{HUGE}.png", None),
    ("/pakker/x/sider/en.png", "page"),
    ("/pakker/..%2f..%2fetc", None),
    ("/finnes-ikke", None),
    ("/static/..%2f..%2fapp.py", None),
])
def test_hostile_query_and_path_values_are_a_norwegian_4xx(world: WebWorld, path: str, names: str | None) -> None:
    for username in ("arne", "tone"):
        _refused(_client(world, username).get(path), names=names)


def test_an_unknown_route_or_method_is_norwegian(world: WebWorld) -> None:
    client = _client(world, "arne")
    assert "ingen slik side" in _refused(client.get("/pakker/a/b/c/d"), status={404})
    assert "ikke tillatt" in _refused(client.put("/gjennomgang"), status={405})
    assert "ingen slik side" in _refused(client.get("/api/finnes-ikke"), status={404})


@pytest.mark.parametrize("flag_id", [HUGE, I64, "2147483648", "0", "-1"])
def test_flag_ids_no_database_column_can_hold_are_not_found(world: WebWorld, flag_id: str) -> None:
    client = _client(world, "tone")
    token = csrf_of(client.get("/flagg").text)
    headers = {"X-CSRF-Token": token}
    for answer in (client.get(f"/api/flags/{flag_id}"),
                   client.delete(f"/api/flags/{flag_id}", headers=headers),
                   client.post(f"/api/flags/{flag_id}/status", json={"status": "exported"}, headers=headers)):
        _refused(answer, status={404, 422})
    if len(flag_id) > 10:
        _refused(client.get(f"/api/flags?offset={flag_id}"), status={422}, names="offset")


@pytest.mark.parametrize("body,names", [
    (b'{"url": "\\ud800"}', "url"),  # a lone surrogate: echoing it made the JSON answer itself crash
    (b'{"platform": "facebook", "post_id": "\\udc80"}', "post_id"),
    (b'{"url": NaN}', "url"),  # NaN is not JSON: echoing it crashed the answer
    (b'{"url": "https://www.facebook.com/a/posts/9", "case_number": "\\ud800/1"}', "case_number"),
    (b'{"url": ' + b"9" * 5000 + b"}", None),
    (b"[" * 100_000 + b"]" * 100_000, None),
    (b'{"url": "\xff"}', None),
    (b"not json", "JSON"),
    (b'{"url": "https://www.facebook.com/a/posts/9", "evil": true}', "evil"),
])
def test_hostile_json_to_the_flag_api_is_a_norwegian_4xx(world: WebWorld, body: bytes, names: str | None) -> None:
    client = _client(world, "tone")
    headers = {"X-CSRF-Token": csrf_of(client.get("/flagg").text), "content-type": "application/json"}
    for path in ("/api/flags", "/api/flags/1/status"):
        text = _refused(client.post(path, content=body, headers=headers))
        if path == "/api/flags" and names is not None:
            assert names in text, text
        assert "\\ud800" not in text and "NaN" not in text and "999999" not in text


@pytest.mark.parametrize("field,value", [("slutt", "0001-01-01T00:00"), ("start", "0001-01-01T00:00")])
def test_a_crisis_at_the_edge_of_the_calendar_is_refused_with_the_field(world: WebWorld, field: str, value: str
                                                                        ) -> None:
    client = _client(world, "ada")
    page = client.get("/admin/krise").text
    account = re.search(r'name="(konto_[^"]+)" value="1"', page)
    form = {"csrf_token": csrf_of(page), "tittel": "Flom", "start": "2026-01-01T00:00", field: value}
    if account:
        form[account.group(1)] = "1"
    answer = client.post("/admin/krise", data=form)
    assert answer.status_code in {200, 400}, answer.text[:300]
    assert field in answer.text and "utenfor gyldige datoer" in answer.text


@pytest.mark.parametrize("target", ["/\\evil.example", "//evil.example", "/\t/evil.example", "/\n/evil.example",
                                    "\\\\evil.example", "https://evil.example/", "/%5Cevil.example\\x",
                                    "/ /evil.example", "/\u3000/evil.example"])
def test_sign_in_never_redirects_to_another_site(world: WebWorld, target: str) -> None:
    client = TestClient(create_app(world.deps), follow_redirects=False, raise_server_exceptions=False)
    page = client.get("/logg-inn", params={"neste": target})
    assert page.status_code == 200 and "evil.example" not in page.text
    answer = client.post("/logg-inn", data={"csrf_token": csrf_of(page.text), "brukernavn": "arne",
                                            "passord": PASSWORD, "neste": target})
    assert answer.status_code == 303 and answer.headers["location"] == "/"


def test_sign_in_still_returns_to_the_page_asked_for(world: WebWorld) -> None:
    client = TestClient(create_app(world.deps), follow_redirects=False)
    page = client.get("/logg-inn", params={"neste": "/gjennomgang"})
    answer = client.post("/logg-inn", data={"csrf_token": csrf_of(page.text), "brukernavn": "arne",
                                            "passord": PASSWORD, "neste": "/gjennomgang"})
    assert answer.status_code == 303 and answer.headers["location"] == "/gjennomgang"


@pytest.mark.parametrize("address", ["/api/flags?case_number=%ED%A0%80", "/gjennomgang?saksnummer=%ED%A0%80",
                                     "/gjennomgang?konto=%FF", "/pakker/%ED%A0%80", "/logg-inn?neste=/%ED%B2%80"])
def test_an_address_that_is_not_utf8_is_refused_not_silently_replaced(world: WebWorld, address: str) -> None:
    text = _refused(_client(world, "arne").get(address), status={400})
    assert "ugyldige tegn" in text and "\ufffd" not in text


def test_a_withdrawal_comment_with_a_lone_surrogate_is_refused_and_the_flag_kept(world: WebWorld) -> None:
    client = _client(world, "tone")
    headers = {"X-CSRF-Token": csrf_of(client.get("/flagg").text)}
    flag = client.post("/api/flags", json={"url": "https://www.facebook.com/fjordvikkommune/posts/4455667788",
                                           "case_number": "2026/77"}, headers=headers).json()
    _refused(client.delete(f"/api/flags/{flag['id']}?comment=%ED%A0%80", headers=headers), status={400})
    assert client.get(f"/api/flags/{flag['id']}").json()["status"] == flag["status"]
    done = client.delete(f"/api/flags/{flag['id']}", params={"comment": "trukket: مرحبا \U0001f600"}, headers=headers)
    assert done.status_code == 200 and done.json()["status"] == "withdrawn"


@pytest.mark.parametrize("kind", ["bogus", "JOURNAL-REQUIRED", "journal\u2011required", "\x00"])
def test_an_unknown_flag_type_is_refused_in_norwegian_naming_the_field(world: WebWorld, kind: str) -> None:
    client = _client(world, "tone")
    answer = client.post("/flagg", data={"csrf_token": csrf_of(client.get("/flagg").text), "type": kind,
                                         "url": "https://www.facebook.com/fjordvikkommune/posts/5566778899",
                                         "saksnummer": "2026/5"})
    assert answer.status_code == 200 and "Ikke flagget: ukjent flaggtype" in answer.text
    assert "is not a valid" not in answer.text and "feltet type" in answer.text


def test_a_json_key_given_twice_is_refused_not_last_wins(world: WebWorld) -> None:
    client = _client(world, "tone")
    headers = {"X-CSRF-Token": csrf_of(client.get("/flagg").text), "content-type": "application/json"}
    twice = (b'{"url": "https://www.facebook.com/fjordvikkommune/posts/1212121212", "case_number": "2026/1", '
             b'"case_number": "2026/2"}')
    text = _refused(client.post("/api/flags", content=twice, headers=headers), status={400})
    assert "case_number" in text and "flere ganger" in text
    nested = b'{"status": "exported", "comment": "a", "comment": "b"}'
    assert "comment" in _refused(client.post("/api/flags/1/status", content=nested, headers=headers), status={400})
    assert client.get("/api/flags").json() == []  # nothing was flagged

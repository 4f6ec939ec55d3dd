"""The flags HTTP API (FastAPI TestClient) on both engines: the same operations and refusals as the CLI."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from web.api import USER_HEADER, create_app
from workflow.db import Database

URL = "https://www.facebook.com/fjordvikkommune/posts/1042387765521904"
INGRID = {USER_HEADER: "ingrid"}


@pytest.fixture
def client(workflow_db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(workflow_db)) as test_client:
        yield test_client


def test_create_list_get_delete(client: TestClient) -> None:
    created = client.post("/api/flags", headers=INGRID, json={
        "url": URL, "case_number": "2026/1042", "reason": "høringsinnspill", "deadline": "2026-03-15"})
    assert created.status_code == 201, created.text
    flag = created.json()
    assert (flag["thread_key"], flag["status"], flag["case_number"], flag["deadline"], flag["origin"]) == (
        "facebook-1042387765521904", "pending", "2026/1042", "2026-03-15", "api")
    assert flag["flagged_by"] == "ingrid" and flag["history"][0]["to_status"] == "pending"
    by_id = client.post("/api/flags", headers=INGRID, json={
        "platform": "youtube", "post_id": "q7Rk2fJvW0E", "kind": "archive-worthy"})
    assert by_id.status_code == 201 and by_id.json()["thread_key"] == "youtube-q7Rk2fJvW0E"

    listed = client.get("/api/flags")
    assert listed.status_code == 200 and len(listed.json()) == 2
    assert [f["platform"] for f in client.get("/api/flags", params={"platform": "youtube"}).json()] == ["youtube"]
    assert client.get("/api/flags", params={"kind": "journal-required"}).json()[0]["id"] == flag["id"]
    assert client.get(f"/api/flags/{flag['id']}").json()["reason"] == "høringsinnspill"

    deleted = client.delete(f"/api/flags/{flag['id']}", headers=INGRID, params={"comment": "feil tråd"})
    assert deleted.status_code == 200 and deleted.json()["status"] == "withdrawn"
    assert len(client.get("/api/flags").json()) == 1
    assert client.get("/api/flags", params={"status": "withdrawn"}).json()[0]["id"] == flag["id"]
    assert client.delete(f"/api/flags/{flag['id']}", headers=INGRID).status_code == 409  # already withdrawn


def test_the_same_thread_twice_is_409_naming_the_existing_flag(client: TestClient) -> None:
    first = client.post("/api/flags", headers=INGRID, json={"url": URL, "case_number": "2026/1042"}).json()
    again = client.post("/api/flags", headers=INGRID, json={
        "url": "https://m.facebook.com/fjordvikkommune/posts/1042387765521904?ref=share", "case_number": "2026/1"})
    assert again.status_code == 409
    assert again.json()["existing"]["id"] == first["id"] and "allerede flagget" in again.json()["detail"]


@pytest.mark.parametrize(
    ("headers", "body", "status", "words"),
    [
        ({}, {"url": URL, "case_number": "2026/1"}, 401, USER_HEADER),
        ({USER_HEADER: "  "}, {"url": URL, "case_number": "2026/1"}, 401, USER_HEADER),
        ({USER_HEADER: "mallory"}, {"url": URL, "case_number": "2026/1"}, 403, "ukjent bruker"),
        ({USER_HEADER: "arne"}, {"url": URL, "case_number": "2026/1"}, 403, "rollen"),
        (INGRID, {"url": "https://vm.tiktok.com/ZMabc/", "case_number": "2026/1"}, 400, "kortlenke"),
        (INGRID, {"url": "javascript:alert(1)", "case_number": "2026/1"}, 400, "http"),
        (INGRID, {"url": URL, "case_number": "2026-1"}, 400, "ÅÅÅÅ/NNNN"),
        (INGRID, {"url": URL}, 400, "saksnummer"),
        (INGRID, {"case_number": "2026/1"}, 400, "oppgi url"),
        (INGRID, {"url": URL, "platform": "x", "post_id": "1", "case_number": "2026/1"}, 400, "ikke begge"),
        (INGRID, {"platform": "x", "post_id": "../1", "case_number": "2026/1"}, 400, "X-id"),
        (INGRID, {"url": URL, "case_number": "2026/1", "reason": "a\x00b"}, 400, "U+0000"),
        (INGRID, {"url": URL, "case_number": "2026/1", "evil": True}, 422, ""),
        (INGRID, {"url": URL, "case_number": "2026/1", "kind": "urgent"}, 422, ""),
        (INGRID, {"url": URL * 100, "case_number": "2026/1"}, 422, ""),
        (INGRID, {"url": URL, "case_number": "2026/1", "deadline": "15.03.2026"}, 422, ""),
    ],
)
def test_refusals_change_nothing(client: TestClient, headers: dict[str, str], body: dict[str, object], status: int,
                                 words: str) -> None:
    response = client.post("/api/flags", headers=headers, json=body)
    assert response.status_code == status, response.text
    assert words in str(response.json()["detail"])
    assert client.get("/api/flags", params={"status": "pending"}).json() == []


def test_not_found_and_bad_queries(client: TestClient) -> None:
    assert client.get("/api/flags/999").status_code == 404
    assert client.delete("/api/flags/999", headers=INGRID).status_code == 404
    assert client.delete("/api/flags/1").status_code == 401
    assert client.get("/api/flags", params={"status": "lost"}).status_code == 422
    assert client.get("/api/flags", params={"limit": 0}).status_code == 422
    assert client.get("/api/flags", params={"case_number": "abc"}).status_code == 400


def test_status_moves_through_the_api(client: TestClient) -> None:
    flag = client.post("/api/flags", headers=INGRID, json={"url": URL, "case_number": "2026/1042"}).json()
    move = f"/api/flags/{flag['id']}/status"
    assert client.post(move, headers=INGRID, json={"status": "exported"}).json()["status"] == "exported"
    assert client.post(move, headers=INGRID, json={"status": "approved"}).status_code == 403  # editor
    assert client.post(move, headers={USER_HEADER: "arne"}, json={"status": "rejected"}).status_code == 400
    rejected = client.post(move, headers={USER_HEADER: "arne"}, json={"status": "rejected", "comment": "Mangler svar"})
    assert rejected.json()["status_comment"] == "Mangler svar"
    assert client.post(move, headers={USER_HEADER: "arne"}, json={"status": "approved"}).status_code == 409
    assert client.post(move, headers=INGRID, json={"status": "withdrawn"}).status_code == 400
    assert client.post(move, headers=INGRID, json={"status": "re-flagged"}).json()["status"] == "re-flagged"
    history = client.get(f"/api/flags/{flag['id']}").json()["history"]
    assert [h["to_status"] for h in history] == ["pending", "exported", "rejected", "re-flagged"]


@pytest.mark.parametrize(
    "raw",
    [b"[" * 200_000 + b"]" * 200_000, b'{"url": ' + b"[" * 5000 + b"]" * 5000 + b"}", b"\xff\xfe", b""],
)
def test_hostile_bodies_are_refused_not_crashed(client: TestClient, raw: bytes) -> None:
    response = client.post("/api/flags", content=raw,
                           headers={**INGRID, "content-type": "application/json"})
    assert response.status_code in {400, 422}
    assert client.get("/api/flags").json() == []

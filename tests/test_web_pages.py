"""The web app's later pages through FastAPI's test client: the package page's delivery state and privacy
screening (confirm/clear hits), editor candidates, moderation log and rejected flags, the admin pages
(users, accounts, crisis periods), an uttrekk built from the app, and the start page's charts.

Every form gets the hostile treatment: no CSRF token, the wrong role, control characters, RTL overrides,
lone surrogates (invalid UTF-8 percent escapes), huge values and duplicate submissions.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from delivery.messages import AssignedNumbers
from pipeline.delivery import Attempt, DeliveryRecord, write_delivery
from pipeline.export import ExportConfig, stage_thread, upload_package
from pipeline.package_index import sync_index
from schemas.refs import ThreadRef
from schemas.screening import ScreeningResult
from schemas.thread import Platform, Thread
from tests.web_support import (
    CANDIDATE_ID,
    EXPORTED,
    WebWorld,
    candidate_thread,
    csrf_of,
    demo_bucket_template,
    make_world,
    signed_in,
)
from web.app import create_app
from web.auth import check_password
from workflow import audit
from workflow.accounts import add_account
from workflow.moderation import request_moderation
from workflow.packages import PackageFilter, PackageRow, query_packages
from workflow.users import list_users

__all__ = ["demo_bucket_template"]
FORM = {"content-type": "application/x-www-form-urlencoded"}
HOSTILE_TEXT = ["navn\x00", "navn\u202eevil", "a" * 5000, "linje\x1bslutt"]


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Page images and validation reports of the (identical) demo packages, shared by the tests here."""
    return tmp_path_factory.mktemp("web-cache")


@pytest.fixture
def world(tmp_path: Path, demo_bucket_template: Path, xsd_dir: Path, shared_cache: Path) -> Iterator[WebWorld]:
    made = make_world(tmp_path, demo_bucket_template, xsd_dir, cache_dir=shared_cache)
    yield made
    made.deps.db.dispose()


def _row(world: WebWorld, **where: str) -> PackageRow:
    return query_packages(world.deps.db, PackageFilter(**where)).rows[0]  # type: ignore[arg-type]


def _hoering(world: WebWorld) -> PackageRow:
    rows = query_packages(world.deps.db, PackageFilter(platform="facebook", owning_unit="Kommunikasjonsavdelingen"))
    return rows.rows[0]


def _audit(world: WebWorld, entity: str | None) -> list[audit.AuditRecord]:
    with world.deps.db.transaction() as session:
        return audit.events(session, entity=entity)


def _hit_texts(world: WebWorld, package_id: str) -> list[str]:
    """The matched texts of a package's hits (what must never reach a page)."""
    thread = Thread.model_validate_json((world.bucket / package_id / "capture" / "thread.json").read_bytes())
    result = ScreeningResult.from_bytes((world.bucket / package_id / "screening.json").read_bytes())
    texts = {(item.id, "text"): item.text for item in thread.all_items()}
    if thread.title:
        texts[(thread.post.id, "title")] = thread.title
    return [texts[(h.item_id, h.field)][h.start:h.end] for h in result.hits if (h.item_id, h.field) in texts]


# -- package page: delivery state -----------------------------------------------------------------------


def test_package_page_shows_the_delivery_state_and_the_archives_numbers(world: WebWorld) -> None:
    client = signed_in(world, "arne")
    delivered, failed, never = query_packages(world.deps.db, PackageFilter(platform="facebook")).rows
    at = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    write_delivery(world.deps.sink, DeliveryRecord(
        package_id=delivered.package_id, receiver_account="arkiv", status="kvittert", updated_at=at,
        attempts=[Attempt(melding_id="m1", sent_at=at, outcome="kvittert")],
        numbers=AssignedNumbers(journalaar=2026, journalsekvensnummer=415, journalpostnummer=3, saksaar=2026,
                        sakssekvensnummer=1042)))
    write_delivery(world.deps.sink, DeliveryRecord(
        package_id=failed.package_id, receiver_account="arkiv", status="feilet", updated_at=at,
        attempts=[Attempt(melding_id="m1", sent_at=at, outcome="feilet", reason="ingen kvittering innen 30 min"),
                  Attempt(melding_id="m2", sent_at=at, outcome="feilet", reason="Ugyldig arkivmelding")],
        failure="Ugyldig arkivmelding"))
    page = client.get(f"/pakker/{delivered.package_id}").text
    assert "Journalført" in page and "2026/415" in page and "2026/1042" in page
    page = client.get(f"/pakker/{failed.package_id}").text
    assert "Feilet" in page and "Årsak: Ugyldig arkivmelding" in page and "Forsøk (2)" in page
    assert "ingen kvittering innen 30 min" in page
    assert "Ikke sendt til arkivsystemet" in client.get(f"/pakker/{never.package_id}").text
    (world.bucket / "_deliveries" / f"{never.package_id}.json").write_text("{not json")
    broken = client.get(f"/pakker/{never.package_id}")
    assert broken.status_code == 200 and "Leveranseposten kan ikke leses" in broken.text


# -- package page: privacy screening --------------------------------------------------------------------


def test_archivist_sees_hits_masked_and_confirms_or_clears_each(world: WebWorld) -> None:
    client = signed_in(world, "arne")
    row = _hoering(world)
    page = client.get(f"/pakker/{row.package_id}").text
    assert "Personopplysninger (screening)" in page and "ny versjon av pakken" in page
    keys = re.findall(r'name="treff" value="([^"]+)"', page)
    assert keys, "the hoering thread has screening hits"
    secrets_ = [t for t in _hit_texts(world, row.package_id) if len(t) >= 4]
    assert secrets_ and not any(t in page for t in secrets_)
    token = csrf_of(page)
    cleared = client.post(f"/pakker/{row.package_id}/treff", data={"csrf_token": token, "treff": keys[0],
                                                                   "beslutning": "clear"})
    assert cleared.status_code == 200 and "er avkreftet" in cleared.text and "Ny versjon av pakken" in cleared.text
    first = world.deps.sink.latest_package_for(row.thread_key)
    assert first is not None and first.package_id != row.package_id and first.previous_package_id == row.package_id
    assert f"{first.package_id} (denne)" in cleared.text  # the archivist lands on the new version
    again = client.post(f"/pakker/{row.package_id}/treff", data={"csrf_token": token, "treff": keys[0],
                                                                 "beslutning": "clear"})
    assert "allerede avkreftet" in again.text
    confirmed = client.post(f"/pakker/{first.package_id}/treff", data={"csrf_token": token, "treff": keys[-1],
                                                                       "beslutning": "confirm",
                                                                       "kommentar": "Riktig treff"})
    assert "bekreftet" in confirmed.text
    second = world.deps.sink.latest_package_for(row.thread_key)
    assert second is not None and second.previous_package_id == first.package_id
    record = json.loads((world.bucket / "_screening" / f"{second.package_id}.json").read_text())
    assert [d["decision"] for d in record["decisions"]] == ["clear", "confirm"]
    assert not (world.bucket / "_screening" / f"{row.package_id}.json").exists()  # the old version is untouched
    events = [e for e in _audit(world, None) if e.action.startswith("screening.")]
    assert [(e.action, e.entity, e.data["new_package_id"]) for e in events] == [
        ("screening.clear", f"package:{row.package_id}", first.package_id),
        ("screening.confirm", f"package:{first.package_id}", second.package_id)]
    assert all(t not in json.dumps(e.data) for e in events for t in secrets_)
    assert events[0].actor == "arne" and events[0].data["hit"] == keys[0]


@pytest.mark.parametrize("form", [
    {"treff": "99999", "beslutning": "clear"},
    {"treff": "finnes/ikke/1:2/helse", "beslutning": "clear"},
    {"treff": "1", "beslutning": "slett"},
    {"treff": "", "beslutning": "clear"},
    {"treff": "1" * 5000, "beslutning": "clear"},
    {"treff": "1", "beslutning": "confirm", "kommentar": "skjult\u202etekst"},
    {"treff": "1", "beslutning": "confirm", "kommentar": "null\x00tegn"},
])
def test_hostile_hit_decisions_change_nothing(world: WebWorld, form: dict[str, str]) -> None:
    client = signed_in(world, "arne")
    row = _hoering(world)
    token = csrf_of(client.get(f"/pakker/{row.package_id}").text)
    answer = client.post(f"/pakker/{row.package_id}/treff", data={"csrf_token": token, **form})
    assert answer.status_code == 400 and "Ikke registrert" in answer.text
    assert not (world.bucket / "_screening").exists()


def test_hit_decisions_need_csrf_and_the_archivist_role(world: WebWorld) -> None:
    row = _hoering(world)
    archivist = signed_in(world, "arne")
    archivist.get(f"/pakker/{row.package_id}")
    assert archivist.post(f"/pakker/{row.package_id}/treff", data={"treff": "1", "beslutning": "clear"}
                          ).status_code == 403
    editor = signed_in(world, "kari")
    token = csrf_of(editor.get(f"/pakker/{row.package_id}").text)
    assert editor.post(f"/pakker/{row.package_id}/treff", data={"csrf_token": token, "treff": "1",
                                                                "beslutning": "clear"}).status_code == 403
    lone = b"&treff=%ED%A0%80&beslutning=clear"
    answer = archivist.post(f"/pakker/{row.package_id}/treff", headers=FORM,
                            content=b"csrf_token=" + csrf_of(archivist.get("/").text).encode() + lone)
    assert answer.status_code == 400
    assert not (world.bucket / "_screening").exists()


def test_an_editor_never_sees_skjermet_content_only_the_redacted_variant(world: WebWorld) -> None:
    row = _hoering(world)
    editor = signed_in(world, "kari")
    page = editor.get(f"/pakker/{row.package_id}")
    assert page.status_code == 200
    html = page.text
    assert f"/pakker/{row.package_id}/skjermet/1.png" in html and f"/pakker/{row.package_id}/sider/" not in html
    assert "skjermet variant" in html and 'name="beslutning"' not in html
    secrets_ = [t for t in _hit_texts(world, row.package_id) if len(t) >= 4]
    assert not any(t in html for t in secrets_)
    assert "[skjermet innlegg]" in html or "Sammenheng" in html
    assert editor.get(f"/pakker/{row.package_id}/sider/1.png").status_code == 403
    image = editor.get(f"/pakker/{row.package_id}/skjermet/1.png")
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    archivist = signed_in(world, "arne")
    assert archivist.get(f"/pakker/{row.package_id}/sider/1.png").status_code == 200
    assert f"/pakker/{row.package_id}/sider/1.png" in archivist.get(f"/pakker/{row.package_id}").text


def test_an_editor_sees_the_full_document_of_a_package_without_hits(world: WebWorld) -> None:
    editor = signed_in(world, "teknisk")
    row = _row(world, platform="x")
    html = editor.get(f"/pakker/{row.package_id}").text
    if "Ingen treff" in html:
        assert f"/pakker/{row.package_id}/sider/1.png" in html
        assert editor.get(f"/pakker/{row.package_id}/sider/1.png").status_code == 200
    else:  # the X thread has hits: then only the redacted variant
        assert f"/pakker/{row.package_id}/sider/" not in html


# -- editor pages ---------------------------------------------------------------------------------------


def test_candidates_are_confirmed_into_a_flag_or_dismissed_once(world: WebWorld) -> None:
    tone = signed_in(world, "tone")
    page = tone.get("/kandidater").text
    assert "Hva mener du om nye benker ved skolen?" in page
    package = re.search(r'name="pakke" value="([^"]+)"', page)
    assert package is not None and CANDIDATE_ID in package.group(1)
    assert "nye benker" not in signed_in(world, "teknisk").get("/kandidater").text
    assert signed_in(world, "arne").get("/kandidater").status_code == 403
    token = csrf_of(page)
    assert tone.post("/kandidater/bekreft", data={"pakke": package.group(1)}).status_code == 403
    other = _row(world, platform="x").package_id
    assert tone.post("/kandidater/bekreft", data={"csrf_token": token, "pakke": other}).status_code == 404
    assert tone.post("/kandidater/bekreft", data={"csrf_token": token, "pakke": "../x"}).status_code == 404
    done = tone.post("/kandidater/bekreft", data={"csrf_token": token, "pakke": package.group(1),
                                                  "type": "archive-worthy"})
    assert done.status_code == 200 and "Flagget:" in done.text and "nye benker" not in done.text
    flags = tone.get("/api/flags").json()
    assert [(f["post_id"], f["origin"]) for f in flags] == [(CANDIDATE_ID, "candidate")]
    twice = tone.post("/kandidater/bekreft", data={"csrf_token": token, "pakke": package.group(1)})
    assert "finnes" in twice.text or "allerede" in twice.text
    assert len(tone.get("/api/flags").json()) == 1


def test_a_dismissed_candidate_is_not_suggested_again(world: WebWorld) -> None:
    tone = signed_in(world, "tone")
    page = tone.get("/kandidater").text
    package = re.search(r'name="pakke" value="([^"]+)"', page)
    assert package is not None
    token = csrf_of(page)
    for bad in HOSTILE_TEXT:
        answer = tone.post("/kandidater/avvis", data={"csrf_token": token, "pakke": package.group(1), "grunn": bad})
        assert answer.status_code == 400 and "Ikke avvist" in answer.text, bad
    first = tone.post("/kandidater/avvis", data={"csrf_token": token, "pakke": package.group(1),
                                                 "grunn": "bare informasjon"})
    assert "Forslaget er avvist" in first.text and "nye benker" not in first.text
    second = tone.post("/kandidater/avvis", data={"csrf_token": token, "pakke": package.group(1)})
    assert "allerede avvist" in second.text
    key = f"candidate:tiktok-{CANDIDATE_ID}"
    assert [e.action for e in _audit(world, key)] == ["candidate.dismiss"]


def test_moderation_log_shows_only_my_units_accounts(world: WebWorld) -> None:
    db = world.deps.db
    tiktok = _row(world, platform="tiktok", owning_unit="Oppvekst og kultur")
    mine = ThreadRef(Platform.TIKTOK, tiktok.thread_key.removeprefix("tiktok-"))
    theirs = ThreadRef(Platform.X, _row(world, platform="x").thread_key.removeprefix("x-"))
    request_moderation(db, mine, "c-mine-1", action="hide", reason="personsjikane", by="tone")
    request_moderation(db, theirs, "c-theirs-1", action="delete", reason="spam", by="teknisk")
    page = signed_in(world, "tone").get("/moderering").text
    assert "c-mine-1" in page and "personsjikane" in page and "c-theirs-1" not in page
    both = signed_in(world, "arne").get("/moderering").text
    assert "c-mine-1" in both and "c-theirs-1" in both


def test_a_rejection_reaches_the_editors_flags_prominently(world: WebWorld) -> None:
    tone = signed_in(world, "tone")
    token = csrf_of(tone.get("/flagg").text)
    tone.post("/flagg", data={"csrf_token": token, "type": "journal-required", "saksnummer": "2026/877",
                              "url": "https://www.facebook.com/fjordvikoppvekst/posts/877120034418862"})
    row = _row(world, platform="facebook", owning_unit="Oppvekst og kultur")
    arne = signed_in(world, "arne")
    token = csrf_of(arne.get(f"/pakker/{row.package_id}").text)
    arne.post(f"/pakker/{row.package_id}/avvis",
              data={"csrf_token": token, "kommentar": "Mangler svarene etter fristen"})
    page = tone.get("/flagg").text
    section = page.split('class="rejected"')[1].split("</section>")[0]
    assert "Avvist av arkivet" in section and "Mangler svarene etter fristen" in section
    start = tone.get("/").text
    assert "avvist av arkivet" in start and 'href="/flagg"' in start


# -- admin pages ----------------------------------------------------------------------------------------


def test_admin_adds_changes_deactivates_users_and_sets_passwords(world: WebWorld) -> None:
    ada = signed_in(world, "ada")
    token = csrf_of(ada.get("/admin/brukere").text)
    form = {"csrf_token": token, "brukernavn": "nina", "navn": "Nina Ny", "enhet": "Helse og omsorg",
            "rolle_editor": "1", "passord": "et-langt-passord-her"}
    added = ada.post("/admin/brukere", data=form)
    assert added.status_code == 200 and "Bruker nina er lagt til" in added.text
    assert check_password(world.deps.db, "nina", "et-langt-passord-her") is not None
    duplicate = ada.post("/admin/brukere", data=form)
    assert duplicate.status_code == 400 and "finnes allerede" in duplicate.text
    changed = ada.post("/admin/brukere/endre", data={"csrf_token": token, "brukernavn": "nina", "navn": "Nina Ny",
                                                     "enhet": "Teknisk etat", "rolle_archivist": "1"})
    assert "Bruker nina er endret" in changed.text
    person = check_password(world.deps.db, "nina", "et-langt-passord-her")
    assert person is not None and person.unit == "Teknisk etat" and person.roles == {"archivist"}
    ada.post("/admin/brukere/passord", data={"csrf_token": token, "brukernavn": "nina",
                                             "passord": "et-annet-langt-passord"})
    assert check_password(world.deps.db, "nina", "et-annet-langt-passord") is not None
    short = ada.post("/admin/brukere/passord", data={"csrf_token": token, "brukernavn": "nina", "passord": "kort"})
    assert short.status_code == 400
    ada.post("/admin/brukere/aktiv", data={"csrf_token": token, "brukernavn": "nina", "aktiv": "0"})
    assert check_password(world.deps.db, "nina", "et-annet-langt-passord") is None
    assert [e.action for e in _audit(world, "user:nina")] == [
        "user.create", "user.password", "user.update", "user.password", "user.deactivate"]
    self_off = ada.post("/admin/brukere/aktiv", data={"csrf_token": token, "brukernavn": "ada", "aktiv": "0"})
    assert self_off.status_code == 400 and "deg selv" in self_off.text
    self_demote = ada.post("/admin/brukere/endre", data={"csrf_token": token, "brukernavn": "ada", "navn": "Ada",
                                                         "rolle_editor": "1"})
    assert self_demote.status_code == 400 and "admin-rollen" in self_demote.text


@pytest.mark.parametrize("field", ["brukernavn", "navn", "enhet"])
@pytest.mark.parametrize("bad", HOSTILE_TEXT)
def test_hostile_user_forms_create_nothing(world: WebWorld, field: str, bad: str) -> None:
    ada = signed_in(world, "ada")
    token = csrf_of(ada.get("/admin/brukere").text)
    form = {"csrf_token": token, "brukernavn": "ny", "navn": "Ny Bruker", "enhet": "Enhet", "rolle_editor": "1",
            field: bad}
    answer = ada.post("/admin/brukere", data=form)
    assert answer.status_code == 400 and "Ikke lagret" in answer.text
    assert "ny" not in {u.username for u in list_users(world.deps.db)}


def test_admin_forms_need_csrf_and_the_admin_role(world: WebWorld) -> None:
    ada = signed_in(world, "ada")
    ada.get("/admin/brukere")
    for path in ("/admin/brukere", "/admin/brukere/endre", "/admin/brukere/aktiv", "/admin/brukere/passord",
                 "/admin/kontoer", "/admin/krise", "/admin/krise/avslutt"):
        assert ada.post(path, data={"brukernavn": "tone", "aktiv": "0"}).status_code == 403, path
    for who in ("tone", "arne"):
        client = signed_in(world, who)
        token = csrf_of(client.get("/").text)
        for path in ("/admin/brukere", "/admin/kontoer", "/admin/krise"):
            assert client.get(path).status_code == 403
            assert client.post(path, data={"csrf_token": token, "brukernavn": "x", "navn": "x",
                                           "rolle_admin": "1"}).status_code == 403
    no_roles = ada.post("/admin/brukere", data={"csrf_token": csrf_of(ada.get("/").text), "brukernavn": "ingen",
                                                "navn": "Ingen Rolle"})
    assert no_roles.status_code == 400 and "rolle" in no_roles.text
    lone = b"&brukernavn=%ED%A0%80&navn=x&rolle_editor=1"
    answer = ada.post("/admin/brukere", headers=FORM, content=b"csrf_token=" + csrf_of(ada.get("/").text).encode()
                      + lone)
    assert answer.status_code == 400
    huge = ada.post("/admin/brukere", headers=FORM, content=b"csrf_token=x&navn=" + b"a" * 70000)
    assert huge.status_code == 413


def test_admin_registers_accounts_and_declares_and_ends_a_crisis(world: WebWorld) -> None:
    ada = signed_in(world, "ada")
    token = csrf_of(ada.get("/admin/kontoer").text)
    form = {"csrf_token": token, "plattform": "facebook", "konto": "fjordvikkommune", "navn": "Fjordvik kommune",
            "enhet": "Kommunikasjonsavdelingen"}
    assert "er registrert" in ada.post("/admin/kontoer", data=form).text
    again = ada.post("/admin/kontoer", data=form)
    assert again.status_code == 400 and "finnes allerede" in again.text
    for bad in ({"plattform": "myspace"}, {"konto": "a\u202eb"}, {"navn": "x" * 5000}, {"enhet": ""}):
        assert ada.post("/admin/kontoer", data={**form, "konto": "annen", **bad}).status_code == 400, bad
    page = ada.get("/admin/krise").text
    account = re.search(r'name="(konto_\d+)"', page)
    assert account is not None
    declared = ada.post("/admin/krise", data={"csrf_token": token, "tittel": "Flom i Fjordvik",
                                              "start": "2026-03-01T08:00", account.group(1): "1"})
    assert declared.status_code == 200 and "er erklært" in declared.text and "pågår" in declared.text
    period = re.search(r'name="periode" value="(\d+)"', declared.text)
    assert period is not None
    for bad in ({"start": "i går"}, {"start": "2026-03-01T08:00", "slutt": "2026-02-01T08:00"},
                {"start": "2026-03-01T08:00", account.group(1): "0"}, {"tittel": "\x07"}):
        form = {"csrf_token": token, "tittel": "Krise", "start": "2026-03-01T08:00", account.group(1): "1", **bad}
        assert ada.post("/admin/krise", data=form).status_code == 400, bad
    early = ada.post("/admin/krise/avslutt", data={"csrf_token": token, "periode": period.group(1),
                                                   "slutt": "2026-02-01T00:00"})
    assert early.status_code == 400
    for bad in ("99999999999999999999999", "-1", "x", ""):
        assert ada.post("/admin/krise/avslutt", data={"csrf_token": token, "periode": bad,
                                                      "slutt": "2026-03-03T12:00"}).status_code == 400
    ended = ada.post("/admin/krise/avslutt", data={"csrf_token": token, "periode": period.group(1),
                                                   "slutt": "2026-03-03T12:00"})
    assert "slutter 03.03.2026 12:00" in ended.text
    actions = [e.action for e in _audit(world, f"crisis:{period.group(1)}")]
    assert actions == ["crisis.declare", "crisis.end"]


# -- uttrekk ------------------------------------------------------------------------------------------


def test_archivist_builds_an_uttrekk_and_downloads_its_validation_report(world: WebWorld) -> None:
    arne = signed_in(world, "arne")
    token = csrf_of(arne.get("/uttrekk").text)
    assert arne.post("/uttrekk", data={"fra": "2026-01-01"}).status_code == 403
    bad = arne.post("/uttrekk", data={"csrf_token": token, "fra": "2026-03-01", "til": "2026-01-01"})
    assert bad.status_code == 400 and "før" in bad.text
    empty = arne.post("/uttrekk", data={"csrf_token": token, "fra": "2020-01-01", "til": "2020-02-01"})
    assert empty.status_code == 400 and "ingen komplette pakker" in empty.text
    built = arne.post("/uttrekk", data={"csrf_token": token, "fra": "2026-01-01", "til": "2026-12-31",
                                        "status": "all"})
    assert built.status_code == 303
    page = arne.get("/uttrekk").text
    link = re.search(r'href="(/uttrekk/[^"]+/valideringsrapport\.txt)"', page)
    assert link is not None and "9</td>" in page
    report = arne.get(link.group(1))
    assert report.status_code == 200 and "attachment" in report.headers["content-disposition"]
    assert report.text.strip()
    for bad_id in ("..%2F..%2Fetc", "20260101T000000-zzzzzzzz", "x" * 300):
        assert arne.get(f"/uttrekk/{bad_id}/valideringsrapport.txt").status_code == 404
    tone = signed_in(world, "tone")
    assert tone.get("/uttrekk").status_code == 403 and tone.get(link.group(1)).status_code == 403
    builds = [e for e in _audit_all(world) if e.action == "uttrekk.build"]
    assert len(builds) == 1 and builds[0].data["packages"] == 9


def _audit_all(world: WebWorld) -> list[audit.AuditRecord]:
    with world.deps.db.transaction() as session:
        return audit.events(session)


# -- overview -----------------------------------------------------------------------------------------


def test_each_role_gets_its_start_page_with_server_drawn_charts(world: WebWorld) -> None:
    add_account(world.deps.db, "facebook", "fjordvikoppvekst", name="Oppvekst", owning_unit="Oppvekst og kultur",
                by="ada")
    tone = signed_in(world, "tone")
    token = csrf_of(tone.get("/flagg").text)
    tone.post("/flagg", data={"csrf_token": token, "type": "archive-worthy",
                              "url": "https://www.facebook.com/fjordvikoppvekst/posts/555"})
    editor = tone.get("/")
    assert editor.status_code == 200 and "til flagging venter på deg" in editor.text
    assert 'aria-labelledby="uker-plattform-title"' in editor.text and "Åpne flagg per enhet" in editor.text
    assert "Oppvekst og kultur</th><td>1</td>" in editor.text
    assert "<script" not in editor.text and "http://" not in editor.text.replace("http://www.w3.org/2000/svg", "")
    archivist = signed_in(world, "arne").get("/").text
    assert "9 pakker venter på gjennomgang" in archivist and "uttrekk" in archivist
    assert archivist.count('role="img"') >= 2
    platform_table = archivist.split('id="h-uker-plattform"')[1].split("</section>")[0]
    assert re.search(r"<td>9</td></tr>", platform_table)
    admin = signed_in(world, "ada").get("/").text
    assert "kriseperioder" in admin.lower() or "Brukere" in admin
    ids = re.findall(r'id="([^"]+)"', admin)
    assert len(ids) == len(set(ids))


def test_the_new_pages_need_sign_in(world: WebWorld) -> None:
    client = TestClient(create_app(world.deps), follow_redirects=False)
    for path in ("/kandidater", "/moderering", "/admin/brukere", "/admin/kontoer", "/admin/krise", "/uttrekk"):
        assert client.get(path).status_code == 303, path


# -- more hostile input, form by form -----------------------------------------------------------------


@pytest.mark.parametrize("bad", [*HOSTILE_TEXT, "\ud800"])
def test_hostile_candidate_confirmations_flag_nothing(world: WebWorld, bad: str) -> None:
    tone = signed_in(world, "tone")
    page = tone.get("/kandidater").text
    package = re.search(r'name="pakke" value="([^"]+)"', page)
    assert package is not None
    token = csrf_of(page)
    for field in ("grunn", "saksnummer", "type"):
        body = f"csrf_token={token}&pakke={package.group(1)}&type=journal-required&{field}="
        raw = body.encode() + (b"%ED%A0%80" if bad == "\ud800" else quote(bad).encode())
        answer = tone.post("/kandidater/bekreft", headers=FORM, content=raw)
        assert answer.status_code == 400, (field, bad[:20])
    assert tone.get("/api/flags").json() == []
    arne = signed_in(world, "arne")
    token = csrf_of(arne.get("/").text)
    assert arne.post("/kandidater/bekreft", data={"csrf_token": token, "pakke": package.group(1)}).status_code == 403
    assert arne.post("/kandidater/avvis", data={"csrf_token": token, "pakke": package.group(1)}).status_code == 403
    assert tone.post("/kandidater/avvis", data={"pakke": package.group(1)}).status_code == 403


@pytest.mark.parametrize("change", [
    {"navn": "Tone\x00"}, {"navn": "\u202eenoT"}, {"navn": "x" * 5000}, {"enhet": "a\x1bb"},
    {"brukernavn": "finnes-ikke"}, {"brukernavn": "t" * 5000}, {"rolle_editor": "0"},
])
def test_hostile_user_changes_change_nothing(world: WebWorld, change: dict[str, str]) -> None:
    ada = signed_in(world, "ada")
    token = csrf_of(ada.get("/admin/brukere").text)
    form = {"csrf_token": token, "brukernavn": "tone", "navn": "Tone Rønning", "enhet": "Oppvekst og kultur",
            "rolle_editor": "1", **change}
    answer = ada.post("/admin/brukere/endre", data=form)
    assert answer.status_code == 400 and "Ikke lagret" in answer.text
    tone = next(u for u in list_users(world.deps.db) if u.username == "tone")
    assert (tone.display_name, tone.unit, tone.roles) == ("Tone Rønning", "Oppvekst og kultur", ("editor",))
    for path, extra in (("/admin/brukere/aktiv", {"aktiv": "0"}), ("/admin/brukere/passord",
                                                                  {"passord": "et-langt-nok-passord"})):
        unknown = ada.post(path, data={"csrf_token": token, "brukernavn": "finnes-ikke\u202e", **extra})
        assert unknown.status_code == 400
    assert [e.action for e in _audit(world, "user:tone")] == ["user.create"]


def test_a_double_submitted_crisis_is_declared_once(world: WebWorld) -> None:
    add_account(world.deps.db, "facebook", "fjordvikkommune", name="Fjordvik kommune",
                owning_unit="Kommunikasjonsavdelingen", by="ada")
    ada = signed_in(world, "ada")
    page = ada.get("/admin/krise").text
    account = re.search(r'name="(konto_\d+)"', page)
    assert account is not None
    form = {"csrf_token": csrf_of(page), "tittel": "Storm", "start": "2026-03-01T08:00", account.group(1): "1"}
    assert "er erklært" in ada.post("/admin/krise", data=form).text
    again = ada.post("/admin/krise", data=form)
    assert again.status_code == 200 and "finnes allerede" in again.text
    assert len([e for e in _audit_all(world) if e.action == "crisis.declare"]) == 1
    for bad in ({"tittel": "Storm\u202e"}, {"tittel": "x" * 5000}, {"start": "2026-03-01T08:00" + "0" * 100},
                {"slutt": "\x00"}):
        assert ada.post("/admin/krise", data={**form, **bad}).status_code == 400, bad
    lone = f"csrf_token={form['csrf_token']}&tittel=%ED%A0%80&start=2026-03-01T08:00&{account.group(1)}=1"
    assert ada.post("/admin/krise", headers=FORM, content=lone.encode()).status_code == 400
    assert len([e for e in _audit_all(world) if e.action == "crisis.declare"]) == 1


@pytest.mark.parametrize("form", [
    {"status": "alt"}, {"status": "x" * 5000}, {"fra": "2026-01-01\x00"}, {"fra": "\u202e2026-01-01"},
    {"til": "9" * 5000}, {"fra": "0000-00-00"},
])
def test_hostile_uttrekk_forms_build_nothing(world: WebWorld, form: dict[str, str]) -> None:
    arne = signed_in(world, "arne")
    token = csrf_of(arne.get("/uttrekk").text)
    answer = arne.post("/uttrekk", data={"csrf_token": token, **form})
    assert answer.status_code == 400 and "ble ikke laget" in answer.text
    assert not [e for e in _audit_all(world) if e.action == "uttrekk.build"]


def test_admin_renames_moves_and_deactivates_an_account(world: WebWorld) -> None:
    made = add_account(world.deps.db, "youtube", "KanalFjordvik", name="Fjordvik TV", owning_unit="Kultur", by="ada")
    ada = signed_in(world, "ada")
    token = csrf_of(ada.get("/admin/kontoer").text)
    form = {"csrf_token": token, "id": str(made.id), "navn": "Fjordvik kommune TV",
            "enhet": "Kommunikasjonsavdelingen"}
    saved = ada.post("/admin/kontoer/endre", data=form)
    assert saved.status_code == 200 and f"Konto #{made.id} er lagret" in saved.text and "(ikke aktiv)" in saved.text
    assert 'name="konto_' not in ada.get("/admin/krise").text  # an inactive account can't be in a new crisis
    for bad in ({"navn": "TV\u202e"}, {"enhet": ""}, {"enhet": "x" * 5000}, {"id": "999999"},
                {"id": "1" * 40}, {"id": "-3"}, {"id": "en"}):
        assert ada.post("/admin/kontoer/endre", data={**form, "aktiv": "1", **bad}).status_code == 400, bad
    assert ada.post("/admin/kontoer/endre", data={**form, "csrf_token": "forfalsket"}).status_code == 403
    tone = signed_in(world, "tone")
    assert tone.post("/admin/kontoer/endre", data={**form, "csrf_token": csrf_of(tone.get("/").text)}
                     ).status_code == 403
    updates = [e for e in _audit(world, f"account:{made.id}") if e.action == "account.update"]
    assert len(updates) == 1 and updates[0].data["after"] == {
        "name": "Fjordvik kommune TV", "owning_unit": "Kommunikasjonsavdelingen", "active": False}


def test_an_editor_sees_titles_with_hits_masked_everywhere(world: WebWorld, tmp_path: Path) -> None:
    thread = candidate_thread().model_copy(update={"thread_id": "7465123098844088888",
                                                   "title": "Spørsmål om fnr 01018550063 i søknaden"})
    thread = thread.model_copy(update={"post": thread.post.model_copy(update={"id": "7465123098844088888"})})
    config = ExportConfig(work_dir=tmp_path / "work", noark=world.deps.noark, pdfa_part="2")  # type: ignore[arg-type]
    built = stage_thread(thread, None, sink=world.deps.sink, media_dir=None, config=config, exported_at=EXPORTED)
    assert built is not None
    upload_package(built, world.deps.sink)
    sync_index(world.deps.db, world.deps.sink)
    package = built.manifest.package_id
    editor = signed_in(world, "tone")
    queue = editor.get("/gjennomgang?status=alle").text
    assert "01018550063" not in queue and "[skjermet: personopplysning]" in queue
    page = editor.get(f"/pakker/{package}").text
    assert "01018550063" not in page and f"/pakker/{package}/sider/" not in page
    assert "01018550063" not in editor.get("/kandidater").text
    archivist = signed_in(world, "arne").get("/gjennomgang?status=alle").text
    assert "Spørsmål om fnr 01018550063 i søknaden" in archivist


def test_two_archivists_deciding_at_once_keep_both_decisions(world: WebWorld) -> None:
    row = _hoering(world)
    clients = [signed_in(world, "arne"), signed_in(world, "arne")]
    pages = [c.get(f"/pakker/{row.package_id}").text for c in clients]
    keys = re.findall(r'name="treff" value="([^"]+)"', pages[0])
    assert keys
    choices = ["clear", "confirm"]

    def decide(n: int) -> int:
        return clients[n].post(f"/pakker/{row.package_id}/treff", data={
            "csrf_token": csrf_of(pages[n]), "treff": keys[0], "beslutning": choices[n]}).status_code

    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(decide, [0, 1])) == [200, 200]
    latest = world.deps.sink.latest_package_for(row.thread_key)  # the second decision went to the first's version
    assert latest is not None and latest.previous_package_id not in (None, row.package_id)
    record = json.loads((world.bucket / "_screening" / f"{latest.package_id}.json").read_text())
    assert sorted(d["decision"] for d in record["decisions"]) == choices


# -- the platform webhook receiver, served by the app -------------------------------------------------


def test_the_app_serves_metas_signed_webhooks_without_a_session(world: WebWorld, tmp_path: Path) -> None:
    secret, token = SecretStr("app-secret-for-test"), SecretStr("verify-me")
    app = create_app(replace(world.deps, webhooks=(secret, token, tmp_path / "webhooks")))
    client = TestClient(app, follow_redirects=False)
    check = client.get("/webhooks/meta", params={"hub.mode": "subscribe", "hub.verify_token": "verify-me",
                                                 "hub.challenge": "4711"})
    assert check.status_code == 200 and check.text == "4711"
    wrong = client.get("/webhooks/meta", params={"hub.mode": "subscribe", "hub.verify_token": "feil"})
    assert wrong.status_code == 403 and wrong.json()["detail"]
    body = json.dumps({"object": "page", "entry": [{"id": "1", "time": 1767225600, "changes": [
        {"field": "feed", "value": {"item": "comment", "verb": "add", "post_id": "1_2", "comment_id": "2_3",
                                    "message": "Hei"}}]}]}).encode()
    signature = "sha256=" + hmac.new(secret.get_secret_value().encode(), body, hashlib.sha256).hexdigest()
    taken = client.post("/webhooks/meta", content=body, headers={"X-Hub-Signature-256": signature,
                                                                 "content-type": "application/json"})
    assert taken.status_code == 200 and taken.json() == {"events": 1}, taken.text
    unsigned = client.post("/webhooks/meta", content=body, headers={"content-type": "application/json"})
    assert unsigned.status_code == 403 and unsigned.headers["content-type"].startswith("application/json")
    journal = list((tmp_path / "webhooks").glob("webhooks-*.jsonl"))
    assert len(journal) == 1 and len(journal[0].read_text().splitlines()) == 1
    assert TestClient(create_app(world.deps)).post("/webhooks/meta", content=body).status_code in {404, 405}

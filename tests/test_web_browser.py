"""End to end in a real browser: Playwright drives Debian's chromium against the app on 127.0.0.1.

Sign in as each role, flag a thread, open a package and see its pages, approve one, reject one with a
comment that the editor then sees, an editor cannot approve, keyboard-only sign-in, and axe-core finds no
serious accessibility violations. Screenshots of the main pages go to docs/screenshots/.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from exporters.package import BuiltPackage
from pipeline.export import ExportConfig, ExportResult, stage_thread, upload_package, written_result
from pipeline.flagged import record_exports, select_for_export
from pipeline.package_index import sync_index
from pipeline.settings import Settings
from sources.folder import load_catalog
from tests.web_support import PASSWORD, WebWorld, candidate_thread, demo_bucket_template, make_world
from web.app import create_app
from workflow.packages import PackageFilter, query_packages

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]

__all__ = ["demo_bucket_template"]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, demo_bucket_template: Path, xsd_dir: Path) -> Iterator[
        tuple[str, WebWorld]]:
    world = make_world(tmp_path_factory.mktemp("web-e2e"), demo_bucket_template, xsd_dir)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(world.deps), host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the web app did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", world
    server.should_exit = True
    thread.join(timeout=10)
    world.deps.db.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


def _page(browser: Browser) -> Page:
    return browser.new_context(viewport={"width": 1280, "height": 900}, locale="nb-NO").new_page()


def _sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/logg-inn")
    page.get_by_label("Brukernavn").fill(username)
    page.get_by_label("Passord").fill(PASSWORD)
    page.get_by_role("button", name="Logg inn").click()
    page.wait_for_url(f"{base}/")


def _axe_serious(page: Page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [v["id"] for v in results.response["violations"] if v.get("impact") in {"serious", "critical"}]


def _shot(page: Page, name: str) -> None:
    """A screenshot; into docs/screenshots/ (shown in the README) when SOMEARKIV_UPDATE_SCREENSHOTS=1."""
    folder = SCREENSHOTS if os.environ.get("SOMEARKIV_UPDATE_SCREENSHOTS") == "1" else Path(tempfile.gettempdir())
    folder.mkdir(parents=True, exist_ok=True)
    png = page.screenshot(path=str(folder / f"{name}.png"), full_page=False)
    assert png.startswith(b"\x89PNG")


@pytest.mark.browser
def test_editor_and_archivist_do_their_work_in_the_browser(served: tuple[str, WebWorld], browser: Browser) -> None:
    base, world = served
    editor = _page(browser)
    _sign_in(editor, base, "tone")
    editor.get_by_role("link", name="Mine flagg").click()
    editor.get_by_label("Lenke til innlegget").fill("https://www.facebook.com/fjordvikoppvekst/posts/555")
    editor.get_by_label("Saksnummer (ÅÅÅÅ/NNNN)").fill("2026/877")
    editor.get_by_label("Grunn").fill("høringsinnspill")
    editor.get_by_role("button", name="Flagg tråden").click()
    editor.get_by_text("Flagget:").wait_for()
    assert editor.get_by_role("cell", name="2026/877").count() == 1
    _shot(editor, "redaktor-mine-flagg")
    assert _axe_serious(editor) == []

    archivist = _page(browser)
    _sign_in(archivist, base, "arne")
    assert _axe_serious(archivist) == []
    archivist.get_by_role("link", name="Gjennomgang", exact=True).click()
    assert archivist.get_by_role("link", name="til gjennomgang (9)").count() == 1
    _shot(archivist, "arkivar-gjennomgang")
    assert _axe_serious(archivist) == []

    rows = query_packages(world.deps.db, PackageFilter(owning_unit="Oppvekst og kultur")).rows
    archivist.goto(f"{base}/pakker/{rows[0].package_id}")
    first_page = archivist.get_by_role("img", name="Side 1 av")
    first_page.first.wait_for()
    deadline = time.monotonic() + 30  # wait_for_function would need 'unsafe-eval', which the CSP forbids
    while archivist.evaluate("document.querySelector('.pages img').naturalWidth") < 100:
        assert time.monotonic() < deadline, "the first page image did not load"
        archivist.wait_for_timeout(200)
    _shot(archivist, "arkivar-pakke")
    assert _axe_serious(archivist) == []
    archivist.get_by_role("button", name="Godkjenn og lås").click()
    archivist.get_by_text("Status:").wait_for()
    assert "godkjent" in archivist.locator(".status-approved").first.inner_text()

    archivist.goto(f"{base}/pakker/{rows[1].package_id}")
    archivist.get_by_label("Begrunnelse til redaktøren").fill("Kommentarene etter fristen mangler")
    archivist.get_by_role("button", name="Avvis", exact=True).click()
    archivist.get_by_text("Kommentarene etter fristen mangler").wait_for()

    # The editor sees both decisions in their unit's list, and cannot approve the third package.
    editor.goto(f"{base}/gjennomgang?status=alle")
    assert editor.get_by_text("avvist").count() >= 1
    editor.goto(f"{base}/pakker/{rows[2].package_id}")
    assert editor.get_by_role("button", name="Godkjenn og lås").count() == 0


@pytest.mark.browser
def test_keyboard_only_sign_in_and_a_form_without_csrf_is_refused(served: tuple[str, WebWorld],
                                                                  browser: Browser) -> None:
    base, _ = served
    page = _page(browser)
    page.goto(f"{base}/logg-inn")
    for _ in range(5):  # the skip link and the home link come first
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "brukernavn":
            break
    assert page.evaluate("document.activeElement.id") == "brukernavn"
    page.keyboard.type("arne")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")
    _shot(page, "arkivar-oversikt")
    page.evaluate("document.querySelector('input[name=csrf_token]').value = 'forged'")
    page.get_by_role("button", name="Logg ut").click()
    assert page.get_by_role("heading", name="Skjemaet ble avvist").count() == 1


def _hoering_package(world: WebWorld) -> str:
    rows = query_packages(world.deps.db, PackageFilter(platform="facebook", owning_unit="Kommunikasjonsavdelingen"))
    return rows.rows[0].package_id


@pytest.mark.browser
def test_every_role_signs_in_admin_adds_a_user_archivist_clears_a_hit(served: tuple[str, WebWorld],
                                                                       browser: Browser) -> None:
    base, world = served
    admin = _page(browser)
    _sign_in(admin, base, "ada")
    assert _axe_serious(admin) == []
    admin.get_by_role("link", name="Brukere", exact=True).click()
    admin.get_by_label("Brukernavn").fill("nora")
    admin.get_by_label("Fullt navn").fill("Nora Nilsen")
    admin.get_by_label("Enhet", exact=True).fill("Helse og omsorg")
    admin.get_by_role("checkbox", name="redaktør", exact=True).check()
    admin.get_by_label("Passord (minst 12 tegn; kan settes senere)").fill("nora-sitt-lange-passord")
    admin.get_by_role("button", name="Legg til bruker").click()
    admin.get_by_text("Bruker nora er lagt til").wait_for()
    assert admin.get_by_role("rowheader", name="nora").count() == 1
    _shot(admin, "admin-brukere")
    assert _axe_serious(admin) == []
    for path in ("/admin/kontoer", "/admin/krise"):
        admin.goto(base + path)
        assert _axe_serious(admin) == [], path

    archivist = _page(browser)
    _sign_in(archivist, base, "arne")
    archivist.goto(f"{base}/pakker/{_hoering_package(world)}")
    archivist.get_by_role("heading", name="Personopplysninger (screening)").scroll_into_view_if_needed()
    assert _axe_serious(archivist) == []
    archivist.get_by_role("button", name="Avkreft treff 1", exact=True).click()
    archivist.get_by_text("Treff 1 er avkreftet").wait_for()
    assert archivist.locator("td.hit-avkreftet").count() == 1
    archivist.get_by_role("heading", name="Personopplysninger (screening)").scroll_into_view_if_needed()
    _shot(archivist, "arkivar-screening")
    archivist.goto(f"{base}/uttrekk")
    assert _axe_serious(archivist) == []
    archivist.get_by_label("Fra dato").fill("2026-01-01")
    archivist.get_by_role("button", name="Lag uttrekk").click()
    download_link = archivist.get_by_role("link", name="Last ned valideringsrapporten").first
    download_link.wait_for(timeout=120_000)
    with archivist.expect_download() as download:
        download_link.click()
    report = Path(download.value.path()).read_text(encoding="utf-8")
    assert report.strip() and download.value.suggested_filename.startswith("valideringsrapport-")
    _shot(archivist, "arkivar-uttrekk")
    assert _axe_serious(archivist) == []
    archivist.goto(f"{base}/moderering")
    assert _axe_serious(archivist) == []

    editor = _page(browser)
    _sign_in(editor, base, "tone")
    _shot(editor, "redaktor-oversikt")
    assert _axe_serious(editor) == []
    editor.get_by_role("link", name="Kandidater", exact=True).click()
    editor.get_by_role("button", name="Bekreft og flagg Hva mener du om nye benker ved skolen?").wait_for()
    _shot(editor, "redaktor-kandidater")
    assert _axe_serious(editor) == []
    editor.get_by_role("link", name="Moderering", exact=True).click()
    assert _axe_serious(editor) == []

    skjermet = _page(browser)
    _sign_in(skjermet, base, "kari")
    skjermet.goto(f"{base}/pakker/{_hoering_package(world)}")
    assert skjermet.get_by_role("button", name="Avkreft treff 1", exact=True).count() == 0
    assert skjermet.locator("img[src*='/sider/']").count() == 0
    assert skjermet.locator("img[src*='/skjermet/']").count() >= 1
    assert _axe_serious(skjermet) == []


@pytest.mark.browser
def test_keyboard_only_account_registration(served: tuple[str, WebWorld], browser: Browser) -> None:
    base, _ = served
    page = _page(browser)
    _sign_in(page, base, "ada")
    page.goto(f"{base}/admin/kontoer")
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "plattform":
            break
    assert page.evaluate("document.activeElement.id") == "plattform"
    page.keyboard.press("End")  # the last platform (YouTube)
    for text in ("KanalFjordvik", "Fjordvik på YouTube", "Kommunikasjonsavdelingen"):
        page.keyboard.press("Tab")
        page.keyboard.type(text)
    page.keyboard.press("Enter")
    page.get_by_text("er registrert").wait_for()
    assert page.get_by_role("cell", name="KanalFjordvik", exact=True).count() == 1
    assert page.get_by_role("cell", name="YouTube", exact=True).count() == 1


def _nightly_export(world: WebWorld, captures: Path, work: Path) -> list[str]:
    """The nightly export without Prefect: due flags paired with the capture folder, packages built and uploaded,
    the flags marked exported, the review queue indexed (the steps of flows/export.py, in order)."""
    settings = Settings(_env_file=None, work_dir=work)
    config = ExportConfig(work_dir=work, noark=settings.noark(), pdfa_part="2")
    catalog = load_catalog(captures)
    selection = select_for_export(catalog, world.deps.db, datetime.now(UTC).date())
    sink = world.deps.sink
    results: list[ExportResult] = []
    for item in selection.chosen:
        built = stage_thread(item.thread, item.flag, sink=sink, media_dir=catalog.media_dir, config=config,
                             exported_at=datetime.now(UTC))
        results.append(written_result(built, upload_package(built, sink)) if isinstance(built, BuiltPackage)
                       else built)
    assert record_exports(world.deps.db, selection, results) == []
    sync_index(world.deps.db, sink)
    return [r.package_id for r in results if r.status == "written"]


@pytest.mark.browser
def test_flag_a_thread_and_see_the_export_arrive(served: tuple[str, WebWorld], browser: Browser,
                                                 tmp_path: Path) -> None:
    base, world = served
    post_id = "7465123098844077777"
    url = f"https://www.tiktok.com/@fjordvik.ungdomsrad/video/{post_id}"
    thread = candidate_thread()
    thread = thread.model_copy(update={"thread_id": post_id, "url": url, "title": "Ny lekeplass ved Fjordvik skole?",
                                       "post": thread.post.model_copy(update={"id": post_id})})
    captures = tmp_path / "captures"
    (captures / "threads").mkdir(parents=True)
    (captures / "threads" / "lekeplass.json").write_text(thread.model_dump_json(), "utf-8")

    editor = _page(browser)
    _sign_in(editor, base, "tone")
    editor.goto(f"{base}/flagg")
    editor.get_by_label("Lenke til innlegget").fill(url)
    editor.get_by_label("Saksnummer (ÅÅÅÅ/NNNN)").fill("2026/991")
    editor.get_by_label("Grunn").fill("innspill til lekeplassen")
    editor.get_by_role("button", name="Flagg tråden").click()
    editor.get_by_text("Flagget:").wait_for()
    flag_row = editor.get_by_role("row").filter(has_text="2026/991")
    assert flag_row.count() == 1 and "eksportert" not in flag_row.inner_text().lower()

    written = _nightly_export(world, captures, tmp_path / "work")
    assert len(written) == 1

    editor.reload()
    flag_row = editor.get_by_role("row").filter(has_text="2026/991")
    assert "eksportert" in flag_row.inner_text().lower()
    assert _axe_serious(editor) == []

    archivist = _page(browser)
    _sign_in(archivist, base, "arne")
    archivist.goto(f"{base}/gjennomgang?status=pending&saksnummer=2026/991")
    link = archivist.get_by_role("link", name="Ny lekeplass ved Fjordvik skole?")
    assert link.count() == 1
    assert _axe_serious(archivist) == []
    link.click()
    archivist.wait_for_url(f"{base}/pakker/**")
    assert written[0] in archivist.url
    assert archivist.get_by_text("2026/991").count() >= 1

"""Post URLs of the six platforms, as editors paste them, parse into ThreadRefs; everything else is refused."""

from __future__ import annotations

import json

import pytest

from schemas.errors import InputError
from schemas.thread import Platform
from sources.urls import MAX_URL_LENGTH, parse_thread_url, thread_ref
from tests.conftest import REPO_ROOT

PFBID = "pfbid02Xk7yZqW3vT9sLmNo4pQrStUvWxYz1234567890AbCdEfGhl"

GOOD: list[tuple[str, Platform, str, str | None]] = [
    # Facebook
    ("https://www.facebook.com/fjordvikkommune/posts/1042387765521904", Platform.FACEBOOK, "1042387765521904",
     "fjordvikkommune"),
    ("https://www.facebook.com/fjordvikkommune/posts/1042387765521904/?mibextid=abc#x", Platform.FACEBOOK,
     "1042387765521904", "fjordvikkommune"),
    (f"https://www.facebook.com/fjordvikkommune/posts/{PFBID}", Platform.FACEBOOK, PFBID, "fjordvikkommune"),
    ("https://www.facebook.com/permalink.php?story_fbid=1042387765521904&id=100064512345678", Platform.FACEBOOK,
     "1042387765521904", "100064512345678"),
    (f"https://m.facebook.com/story.php?story_fbid={PFBID}&id=100064512345678", Platform.FACEBOOK, PFBID,
     "100064512345678"),
    ("https://m.facebook.com/fjordvikkommune/posts/1042387765521904", Platform.FACEBOOK, "1042387765521904",
     "fjordvikkommune"),
    ("https://www.facebook.com/photo/?fbid=912345678901234&set=a.123", Platform.FACEBOOK, "912345678901234", None),
    ("https://www.facebook.com/photo.php?fbid=912345678901234", Platform.FACEBOOK, "912345678901234", None),
    ("https://www.facebook.com/watch/?v=1234567890123456", Platform.FACEBOOK, "1234567890123456", None),
    ("https://www.facebook.com/watch?v=1234567890123456", Platform.FACEBOOK, "1234567890123456", None),
    ("https://www.facebook.com/reel/998877665544332", Platform.FACEBOOK, "998877665544332", None),
    ("https://www.facebook.com/fjordvikkommune/videos/1234567890123456/", Platform.FACEBOOK, "1234567890123456",
     "fjordvikkommune"),
    ("https://www.facebook.com/fjordvikkommune/videos/kommunestyret-12-februar/1234567890123456/",
     Platform.FACEBOOK, "1234567890123456", "fjordvikkommune"),
    ("https://www.facebook.com/fjordvikkommune/photos/a.1111/2222333344445555/", Platform.FACEBOOK,
     "2222333344445555", "fjordvikkommune"),
    ("https://www.facebook.com/groups/fjordvikdebatt/posts/3344556677889900/", Platform.FACEBOOK,
     "3344556677889900", "fjordvikdebatt"),
    ("facebook.com/fjordvikkommune/posts/1042387765521904", Platform.FACEBOOK, "1042387765521904",
     "fjordvikkommune"),
    ("  https://WWW.FACEBOOK.COM./fjordvikkommune/posts/1042387765521904\n", Platform.FACEBOOK,
     "1042387765521904", "fjordvikkommune"),
    ("https://www.facebook.com:443/fjordvikkommune/posts/1042387765521904", Platform.FACEBOOK,
     "1042387765521904", "fjordvikkommune"),
    # Instagram
    ("https://www.instagram.com/p/DFk2bZsNq7x/", Platform.INSTAGRAM, "DFk2bZsNq7x", None),
    ("https://www.instagram.com/p/DFk2bZsNq7x/?utm_source=ig_web_copy_link&igsh=MWQ1", Platform.INSTAGRAM,
     "DFk2bZsNq7x", None),
    ("https://www.instagram.com/reel/C9x_Ab-12Cd/", Platform.INSTAGRAM, "C9x_Ab-12Cd", None),
    ("https://www.instagram.com/reels/C9x_Ab-12Cd/", Platform.INSTAGRAM, "C9x_Ab-12Cd", None),
    ("https://www.instagram.com/tv/B7Vz2kLh3Qx/", Platform.INSTAGRAM, "B7Vz2kLh3Qx", None),
    ("https://www.instagram.com/fjordvikbibliotek/p/DFk2bZsNq7x/", Platform.INSTAGRAM, "DFk2bZsNq7x",
     "fjordvikbibliotek"),
    ("instagr.am/p/DFk2bZsNq7x", Platform.INSTAGRAM, "DFk2bZsNq7x", None),
    # X / Twitter
    ("https://x.com/FjordvikVeg/status/1876533901228470281", Platform.X, "1876533901228470281", "FjordvikVeg"),
    ("https://twitter.com/FjordvikVeg/status/1876533901228470281?s=20", Platform.X, "1876533901228470281",
     "FjordvikVeg"),
    ("https://mobile.twitter.com/FjordvikVeg/status/1876533901228470281", Platform.X, "1876533901228470281",
     "FjordvikVeg"),
    ("https://x.com/FjordvikVeg/status/1876533901228470281/photo/1", Platform.X, "1876533901228470281",
     "FjordvikVeg"),
    ("https://twitter.com/i/web/status/1876533901228470281", Platform.X, "1876533901228470281", None),
    ("https://x.com/i/status/1876533901228470281", Platform.X, "1876533901228470281", None),
    # YouTube
    ("https://www.youtube.com/watch?v=q7Rk2fJvW0E", Platform.YOUTUBE, "q7Rk2fJvW0E", None),
    ("https://www.youtube.com/watch?v=q7Rk2fJvW0E&t=120s&list=PL123", Platform.YOUTUBE, "q7Rk2fJvW0E", None),
    ("https://m.youtube.com/watch?v=q7Rk2fJvW0E", Platform.YOUTUBE, "q7Rk2fJvW0E", None),
    ("https://youtu.be/q7Rk2fJvW0E?si=abc", Platform.YOUTUBE, "q7Rk2fJvW0E", None),
    ("https://www.youtube.com/shorts/a1B2c3D4e5F", Platform.YOUTUBE, "a1B2c3D4e5F", None),
    ("https://www.youtube.com/live/q7Rk2fJvW0E?feature=share", Platform.YOUTUBE, "q7Rk2fJvW0E", None),
    ("https://www.youtube.com/embed/q7Rk2fJvW0E", Platform.YOUTUBE, "q7Rk2fJvW0E", None),
    # LinkedIn
    ("https://www.linkedin.com/feed/update/urn:li:activity:7294410218867302400/", Platform.LINKEDIN,
     "urn:li:activity:7294410218867302400", None),
    ("https://www.linkedin.com/feed/update/urn%3Ali%3Aactivity%3A7294410218867302400/", Platform.LINKEDIN,
     "urn:li:activity:7294410218867302400", None),
    ("https://www.linkedin.com/feed/update/urn:li:share:7294410218867302401", Platform.LINKEDIN,
     "urn:li:share:7294410218867302401", None),
    ("https://www.linkedin.com/feed/update/urn:li:ugcPost:7294410218867302402/", Platform.LINKEDIN,
     "urn:li:ugcPost:7294410218867302402", None),
    ("https://www.linkedin.com/posts/fjordvik-kommune_ledig-stilling-radgiver-activity-7294410218867302400-AbCd/",
     Platform.LINKEDIN, "urn:li:activity:7294410218867302400", "fjordvik-kommune"),
    ("https://no.linkedin.com/posts/fjordvik-kommune_h%C3%B8ring-ugcPost-7294410218867302402-x_Yz",
     Platform.LINKEDIN, "urn:li:ugcPost:7294410218867302402", "fjordvik-kommune"),
    ("https://www.linkedin.com/embed/feed/update/urn:li:share:7294410218867302401", Platform.LINKEDIN,
     "urn:li:share:7294410218867302401", None),
    # TikTok
    ("https://www.tiktok.com/@fjordvik.ungdomsrad/video/7465123098844012806", Platform.TIKTOK,
     "7465123098844012806", "fjordvik.ungdomsrad"),
    ("https://www.tiktok.com/@fjordvik.ungdomsrad/video/7465123098844012806?is_from_webapp=1&sender_device=pc",
     Platform.TIKTOK, "7465123098844012806", "fjordvik.ungdomsrad"),
    ("https://www.tiktok.com/@fjordvik.ungdomsrad/photo/7465123098844012807", Platform.TIKTOK,
     "7465123098844012807", "fjordvik.ungdomsrad"),
    ("https://m.tiktok.com/v/7465123098844012806.html", Platform.TIKTOK, "7465123098844012806", None),
]


@pytest.mark.parametrize(("url", "platform", "post_id", "account"), GOOD, ids=[g[0][:70] for g in GOOD])
def test_every_pasted_form_parses(url: str, platform: Platform, post_id: str, account: str | None) -> None:
    ref = parse_thread_url(url)
    assert (ref.platform, ref.post_id, ref.account) == (platform, post_id, account)
    assert ref.url is not None and ref.url.startswith(("https://", "http://"))
    assert "/" not in ref.key and ".." not in ref.key


def test_forms_of_one_post_share_one_key() -> None:
    forms = [
        "https://www.facebook.com/fjordvikkommune/posts/1042387765521904",
        "https://m.facebook.com/fjordvikkommune/posts/1042387765521904?ref=share",
        "https://www.facebook.com/permalink.php?story_fbid=1042387765521904&id=100064512345678",
    ]
    assert len({parse_thread_url(u).key for u in forms}) == 1
    assert parse_thread_url("https://youtu.be/q7Rk2fJvW0E").key == parse_thread_url(
        "https://www.youtube.com/watch?v=q7Rk2fJvW0E").key
    assert parse_thread_url("https://twitter.com/a/status/5").key == parse_thread_url("https://x.com/b/status/5").key


def test_every_sample_flag_url_parses() -> None:
    flags = json.loads((REPO_ROOT / "samples" / "flags.json").read_text(encoding="utf-8"))
    refs = [parse_thread_url(f["thread_url"]) for f in flags]
    assert {r.platform for r in refs} == set(Platform)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("https://fb.watch/abCD12/", "kortlenke"),
        ("https://vm.tiktok.com/ZMabc123/", "kortlenke"),
        ("https://vt.tiktok.com/ZSabc123/", "kortlenke"),
        ("https://www.tiktok.com/t/ZTabc123/", "kortlenke"),
        ("https://t.co/AbC123", "kortlenke"),
        ("https://lnkd.in/eAbC123", "kortlenke"),
        ("https://www.facebook.com/share/p/1AbCdEf/", "delingslenke"),
        ("javascript:alert(1)", "bare http- og https"),
        ("JaVaScRiPt:alert(document.cookie)//facebook.com/x/posts/1", "bare http- og https"),
        ("data:text/html;base64,PHNjcmlwdD4=", "bare http- og https"),
        ("ftp://facebook.com/fjordvikkommune/posts/1", "bare http- og https"),
        ("file:///etc/passwd", "bare http- og https"),
        ("https:facebook.com/fjordvikkommune/posts/1", "mangler //"),
        ("https://facebook.com@evil.example/fjordvikkommune/posts/1", "brukernavn"),
        ("https://user:pw@www.facebook.com/fjordvikkommune/posts/1", "brukernavn"),
        ("https://evil.example/?u=https://www.facebook.com/x/posts/1", "hører ikke til"),
        ("https://facebook.com.evil.example/fjordvikkommune/posts/1", "hører ikke til"),
        ("https://evil.example/www.facebook.com/fjordvikkommune/posts/1", "hører ikke til"),
        ("https://www.faceb\u043ek.com/fjordvikkommune/posts/1", "utenfor ASCII"),  # Cyrillic о
        ("https://xn--facebok-ogg.com/fjordvikkommune/posts/1", "internasjonalisert"),
        ("https://www.facebook.com:8443/fjordvikkommune/posts/1", "portnummer"),
        ("https://www.facebook.com\\@evil.example/x/posts/1", "omvendt skråstrek"),
        ("https://www.facebook.com/fjordvik\x00kommune/posts/1", "U+0000"),
        ("https://www.facebook.com/fjordvikkommune/posts/1\u202e", "U+202E"),
        ("https://www.facebook.com/fjordvikkommune/posts/\ud800", "U+D800"),
        ("https://www.facebook.com/fjordvik kommune/posts/1", "mellomrom"),
        ("https://www.facebook.com/fjordvikkommune/posts/1%00", "U+0000"),
        ("https://www.facebook.com/fjordvikkommune/posts/1%ff", "UTF-8"),
        ("https://www.facebook.com/fjordvikkommune%2Fposts%2F1", "kodet skråstrek"),
        ("https://www.facebook.com/fjordvikkommune", "ikke på ett innlegg"),
        ("https://www.facebook.com/profile.php?id=100064512345678", "ikke på ett innlegg"),
        ("https://www.facebook.com/fjordvikkommune/posts/abc", "innleggs-id"),
        ("https://www.facebook.com/fjordvikkommune/posts/../../etc/passwd", "innleggs-id"),
        ("https://www.facebook.com/permalink.php?id=100064512345678", "mangler story_fbid"),
        ("https://www.facebook.com/permalink.php?story_fbid=1&story_fbid=2&id=3", "flere ganger"),
        ("https://www.facebook.com/watch/?v=", "video-id"),
        ("https://www.instagram.com/fjordvikbibliotek/", "ikke på ett innlegg"),
        ("https://www.instagram.com/p/a<b>c/", "kortkode"),
        ("https://x.com/FjordvikVeg", "ikke på ett innlegg"),
        ("https://x.com/FjordvikVeg/status/12ab", "status-id"),
        ("https://x.com/FjordvikVeg/status/\uff11\uff12", "status-id"),  # full-width digits
        ("https://www.facebook.com/fjordvikkommune/posts/\u0661\u0662", "innleggs-id"),  # Arabic-Indic digits
        ("https://x.com/this_name_is_far_too_long/status/1", "brukernavn"),
        ("https://www.youtube.com/watch?v=short", "video-id"),
        ("https://www.youtube.com/watch?list=PL123", "video-id"),
        ("https://www.youtube.com/watch?v=q7Rk2fJvW0E&v=a1B2c3D4e5F", "flere ganger"),
        ("https://www.youtube.com/@fjordvikkommune", "kanal"),
        ("https://youtu.be/", "video-id"),
        ("https://www.linkedin.com/feed/update/urn:li:comment:(activity:1,2)/", "URN"),
        ("https://www.linkedin.com/posts/fjordvik-kommune_ledig-stilling", "activity-"),
        ("https://www.linkedin.com/company/fjordvik-kommune/", "ikke på ett innlegg"),
        ("https://www.tiktok.com/@fjordvik.ungdomsrad", "ikke på ett innlegg"),
        ("https://www.tiktok.com/@fjordvik.ungdomsrad/video/12a", "video-id"),
        ("https://example.com/p/1", "hører ikke til"),
        ("https://127.0.0.1/fjordvikkommune/posts/1", "hører ikke til"),
        ("", "tom"),
        ("   ", "tom"),
    ],
)
def test_bad_urls_are_refused_with_a_reason(url: str, words: str) -> None:
    with pytest.raises(InputError) as err:
        parse_thread_url(url)
    message = str(err.value)
    assert words in message
    assert message.startswith("ugyldig innleggsadresse")
    assert all(ch.isprintable() for ch in message)  # the message never carries the hostile characters raw


def test_huge_and_non_text_input() -> None:
    huge = "https://www.facebook.com/fjordvikkommune/posts/1?x=" + "a" * MAX_URL_LENGTH
    with pytest.raises(InputError, match="for lang") as err:
        parse_thread_url(huge)
    assert len(str(err.value)) < 300
    with pytest.raises(InputError, match="forventet tekst"):
        parse_thread_url(None)
    with pytest.raises(InputError, match="forventet tekst"):
        parse_thread_url(b"https://x.com/a/status/1")
    deep = "https://www.facebook.com/" + "a/" * 900 + "posts/1"
    with pytest.raises(InputError):
        parse_thread_url(deep)


def test_platform_and_id() -> None:
    assert thread_ref("facebook", "1042387765521904").key == "facebook-1042387765521904"
    assert thread_ref(" YouTube ", "q7Rk2fJvW0E").platform is Platform.YOUTUBE
    assert thread_ref("linkedin", "URN:LI:UGCPOST:42").post_id == "urn:li:ugcPost:42"
    assert thread_ref("x", "1876533901228470281", account="FjordvikVeg").account == "FjordvikVeg"
    with pytest.raises(InputError, match="ukjent plattform"):
        thread_ref("myspace", "1")
    with pytest.raises(InputError, match="forventet et tall"):
        thread_ref("x", "../1")
    with pytest.raises(InputError, match="video-id på 11 tegn"):
        thread_ref("youtube", "q7Rk2\x00JvW0E")
    with pytest.raises(InputError, match="ugyldig konto"):
        thread_ref("x", "1", account="a\x07")

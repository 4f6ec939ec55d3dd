"""Generate the bundled sample threads, flags and media for Fjordvik kommune (a fictional municipality).

Deterministic: the same code gives byte-identical files (fixed seeds, no clocks, images without metadata).

    .venv/bin/python samples/make_samples.py [--out DIR]

writes ``threads/<platform>-<slug>.json`` (canonical capture bytes), ``flags.json`` and ``media/...`` under DIR
(default: this folder). Files in ``threads/`` and ``media/`` that the generator no longer produces are removed.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw, ImageFont

from schemas.capture import capture_bytes
from schemas.thread import (
    PLATFORM_LABELS,
    Account,
    Author,
    Flag,
    FlagKind,
    Item,
    Media,
    Platform,
    Removal,
    RemovalReason,
    Revision,
    Thread,
)

SAMPLES_DIR = Path(__file__).resolve().parent
OSLO = ZoneInfo("Europe/Oslo")
JPEG_QUALITY = 80

KOMMUNIKASJON = "kommunikasjon@fjordvik.kommune.no"
PLAN_EDITOR = "ingrid.moe@fjordvik.kommune.no"


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A timezone-aware Oslo time."""
    return datetime(year, month, day, hour, minute, tzinfo=OSLO)


# --------------------------------------------------------------------------------------------------------------
# Media: deterministic Pillow images


def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """Noto Sans from the ``manimgx_fonts`` dependency (same on every machine), bold via its weight axis."""
    import manimgx_fonts

    face = ImageFont.truetype(os.path.join(os.path.dirname(manimgx_fonts.__file__), "NotoSans[wght].ttf"), size)
    face.set_variation_by_axes([700 if bold else 400])
    return face


class MediaStore:
    """Writes images under ``<out>/media`` and returns ``Media`` entries (relative path, MIME type, SHA-256)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.written: set[Path] = set()

    def save(self, image: Image.Image, rel: str, media_id: str, **fields: str) -> Media:
        buffer = io.BytesIO()
        if rel.endswith(".png"):
            image.save(buffer, "PNG", optimize=True)
            mime_type = "image/png"
        else:
            image.convert("RGB").save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True)
            mime_type = "image/jpeg"
        data = buffer.getvalue()
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.written.add(path)
        kind = fields.pop("kind", "image")
        return Media(
            id=media_id, kind=kind, path=rel, mime_type=mime_type, sha256=hashlib.sha256(data).hexdigest(), **fields
        )


def vertical_gradient(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], top: tuple, bottom: tuple) -> None:
    x0, y0, x1, y1 = box
    for y in range(y0, y1):
        t = (y - y0) / max(1, y1 - y0 - 1)
        draw.line([(x0, y), (x1, y)], fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)))


def fjord_backdrop(draw: ImageDraw.ImageDraw, width: int, horizon: int, rng: random.Random) -> None:
    """Sky, snow-capped mountains and a strip of fjord above ``horizon``."""
    vertical_gradient(draw, (0, 0, width, horizon), (120, 170, 215), (205, 225, 240))
    for base, colour in ((0.55, (92, 110, 130)), (0.75, (60, 85, 80))):
        points = [(0, horizon)]
        x = 0
        while x < width:
            x += rng.randint(90, 220)
            points.append((x, round(horizon * (base - 0.35 * rng.random()))))
        points.append((width, horizon))
        draw.polygon(points, fill=colour)
        for px, py in points[1:-1]:
            if py < horizon * 0.35:
                draw.polygon([(px - 28, py + 30), (px, py), (px + 28, py + 30)], fill=(240, 244, 248))
    water_top = round(horizon * 0.78)
    vertical_gradient(draw, (0, water_top, width, horizon), (70, 115, 150), (45, 90, 125))


def tree(draw: ImageDraw.ImageDraw, x: int, y: int, size: int, rng: random.Random) -> None:
    draw.rectangle([x - size // 8, y, x + size // 8, y + size], fill=(100, 70, 45))
    green = (40 + rng.randint(0, 30), 110 + rng.randint(0, 40), 50 + rng.randint(0, 20))
    draw.ellipse([x - size, y - size * 1.4, x + size, y + size // 3], fill=green)


def building(draw: ImageDraw.ImageDraw, x: int, y: int, w: int, floors: int, colour: tuple) -> None:
    """A block with ``floors`` rows of windows standing on ground line ``y``."""
    height = floors * 34 + 10
    draw.rectangle([x, y - height, x + w, y], fill=colour, outline=(60, 60, 60))
    for floor in range(floors):
        wy = y - height + 12 + floor * 34
        for wx in range(x + 10, x + w - 22, 30):
            draw.rectangle([wx, wy, wx + 16, wy + 20], fill=(210, 230, 245), outline=(90, 90, 90))


def caption(image: Image.Image, text: str) -> None:
    """A translucent caption bar along the bottom edge."""
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    face = font(max(14, image.width // 48))
    bar = face.size * 2
    draw.rectangle([0, image.height - bar, image.width, image.height], fill=(0, 0, 0, 150))
    draw.text((face.size, image.height - bar + face.size // 2), text, font=face, fill=(255, 255, 255, 255))
    image.alpha_composite(overlay)


def sentrum_illustration() -> Image.Image:
    """Architect-style sketch of the planned pedestrian street and park by the quay."""
    rng = random.Random("sentrum")
    image = Image.new("RGBA", (1200, 800))
    draw = ImageDraw.Draw(image)
    fjord_backdrop(draw, 1200, 330, rng)
    draw.rectangle([0, 330, 1200, 800], fill=(150, 175, 120))
    draw.polygon([(0, 330), (1200, 330), (1200, 350), (0, 350)], fill=(130, 125, 115))  # quay edge
    for i, x in enumerate(range(20, 1180, 150)):
        building(draw, x, 430, 130, 3 + (i * 7) % 3, [(215, 190, 160), (190, 90, 70), (235, 225, 205)][i % 3])
    draw.polygon([(380, 800), (560, 430), (700, 430), (980, 800)], fill=(200, 195, 185))  # pedestrian street
    for y in range(450, 800, 40):
        spread = (y - 430) * 0.55
        draw.line([(630 - spread, y), (630 + spread, y)], fill=(185, 180, 170), width=2)
    draw.polygon([(980, 800), (700, 430), (740, 430), (1060, 800)], fill=(190, 95, 70))  # bike lane
    for y in range(460, 800, 60):
        x = 720 + (y - 430) * 0.78
        draw.line([(x, y), (x + 8, y + 25)], fill=(250, 250, 250), width=3)
    draw.ellipse([60, 520, 330, 700], fill=(110, 160, 200), outline=(80, 120, 150), width=3)  # pond
    for _ in range(16):
        tree(draw, rng.randint(20, 360), rng.randint(470, 760), rng.randint(18, 34), rng)
    for x in range(1080, 1200, 45):
        tree(draw, x, rng.randint(500, 720), 26, rng)
    for x in (420, 470, 880, 930):
        draw.rectangle([x, 700, x + 34, 708], fill=(120, 80, 50))  # benches
    caption(image, "Illustrasjon: Fjordparken og ny gågate i Strandgata (planforslag, Fjordvik kommune)")
    return image


def flooded_street() -> Image.Image:
    """A phone photo of a flooded street after heavy rain."""
    rng = random.Random("kaiveien")
    image = Image.new("RGBA", (800, 600))
    draw = ImageDraw.Draw(image)
    vertical_gradient(draw, (0, 0, 800, 300), (120, 125, 135), (170, 172, 178))
    for i, x in enumerate(range(-20, 800, 170)):
        building(draw, x, 300, 150, 3 + i % 2, [(160, 150, 140), (120, 60, 55)][i % 2])
    vertical_gradient(draw, (0, 300, 800, 600), (80, 80, 85), (55, 55, 60))
    draw.ellipse([120, 380, 700, 560], fill=(105, 120, 135))
    for _ in range(40):
        x, y = rng.randint(150, 660), rng.randint(400, 540)
        draw.arc([x, y, x + rng.randint(20, 60), y + 10], 0, 180, fill=(160, 175, 190), width=2)
    draw.rectangle([600, 240, 612, 420], fill=(60, 60, 60))  # lamp post
    draw.ellipse([588, 226, 624, 252], fill=(250, 230, 160))
    return image


def school_crossing() -> Image.Image:
    """A road crossing without a pavement on the route to school."""
    rng = random.Random("skolevei")
    image = Image.new("RGBA", (1000, 667))
    draw = ImageDraw.Draw(image)
    fjord_backdrop(draw, 1000, 260, rng)
    draw.rectangle([0, 260, 1000, 667], fill=(120, 150, 95))
    draw.polygon([(0, 430), (1000, 330), (1000, 430), (0, 580)], fill=(75, 75, 80))
    for i in range(7):
        x = 420 + i * 26
        draw.polygon(
            [(x, 390 - i * 2.6), (x + 14, 389 - i * 2.6), (x + 24, 505 - i * 3.2), (x + 8, 506 - i * 3.2)],
            fill=(235, 235, 235),
        )
    draw.rectangle([380, 250, 388, 400], fill=(90, 90, 90))
    draw.polygon([(355, 250), (413, 250), (384, 200)], fill=(240, 240, 240), outline=(200, 30, 30), width=6)
    for x in range(40, 300, 60):
        tree(draw, x, rng.randint(300, 360), 24, rng)
    caption(image, "Krysset Skoleveien/Fjellvegen, 07.45")
    return image


def library_opening() -> Image.Image:
    """The new library building on opening day, with a ribbon across the entrance."""
    rng = random.Random("bibliotek")
    image = Image.new("RGBA", (1080, 1080))
    draw = ImageDraw.Draw(image)
    fjord_backdrop(draw, 1080, 420, rng)
    draw.rectangle([0, 420, 1080, 1080], fill=(185, 180, 170))
    draw.rectangle([140, 300, 940, 820], fill=(176, 120, 80), outline=(90, 60, 40), width=4)  # timber facade
    for x in range(160, 930, 28):
        draw.line([(x, 305), (x, 815)], fill=(150, 100, 65), width=6)
    draw.rectangle([200, 380, 880, 600], fill=(170, 205, 225), outline=(60, 60, 60), width=4)  # glass front
    for x in range(285, 880, 85):
        draw.line([(x, 380), (x, 600)], fill=(60, 60, 60), width=3)
    draw.rectangle([460, 640, 620, 820], fill=(60, 70, 80))
    draw.line([(400, 720), (680, 720)], fill=(210, 30, 40), width=10)  # ribbon
    draw.text((300, 315), "FJORDVIK BIBLIOTEK", font=font(48, bold=True), fill=(250, 245, 235))
    for _ in range(22):  # people
        x, y = rng.randint(60, 1020), rng.randint(860, 1030)
        colour = rng.choice([(40, 60, 120), (150, 40, 40), (230, 190, 40), (40, 110, 70), (90, 90, 90)])
        draw.ellipse([x - 12, y - 58, x + 12, y - 34], fill=(235, 200, 170))
        draw.rounded_rectangle([x - 18, y - 34, x + 18, y + 30], radius=10, fill=colour)
    return image


def job_banner() -> Image.Image:
    """A recruitment banner for LinkedIn."""
    image = Image.new("RGBA", (1200, 627))
    draw = ImageDraw.Draw(image)
    vertical_gradient(draw, (0, 0, 1200, 627), (20, 60, 100), (10, 35, 60))
    for i in range(9):  # stylised shelves of archive boxes
        x = 700 + (i % 3) * 150
        y = 120 + (i // 3) * 130
        draw.rectangle([x, y, x + 120, y + 90], fill=(205, 180, 140), outline=(120, 100, 70), width=3)
        draw.rectangle([x + 35, y + 20, x + 85, y + 40], fill=(250, 250, 245))
    draw.text((70, 150), "Vi søker", font=font(44), fill=(200, 220, 240))
    draw.text((70, 210), "Rådgiver arkiv", font=font(72, bold=True), fill=(255, 255, 255))
    draw.text((70, 330), "Fast 100 % stilling · Søknadsfrist 1. mars", font=font(30), fill=(200, 220, 240))
    draw.text((70, 520), "Fjordvik kommune", font=font(36, bold=True), fill=(255, 255, 255))
    return image


def wrap(text: str, face: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Greedy word wrap to ``width`` pixels, keeping the text's own line breaks."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}".strip()
            if line and face.getlength(candidate) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return lines


def comment_screenshot(item: Item, platform_label: str, taken_at: datetime, taken_by: str) -> Image.Image:
    """A screenshot-like rendering of a comment, as kept by the editor before removing it."""
    body, name_face, small = font(17), font(17, bold=True), font(14)
    lines = wrap(item.text, body, 560)
    height = 150 + 24 * len(lines)
    image = Image.new("RGB", (720, height), (240, 242, 245))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, 720, 34], fill=(66, 103, 178))
    draw.text((14, 8), f"{platform_label} · Fjordvik kommune", font=small, fill=(255, 255, 255))
    draw.text((706, 8), item.created_at.strftime("%d.%m.%Y"), font=small, fill=(255, 255, 255), anchor="ra")
    draw.ellipse([20, 52, 64, 96], fill=(160, 170, 185))
    initials = "".join(part[0] for part in item.author.display_name.split()[:2])
    draw.text((42, 74), initials, font=name_face, fill=(255, 255, 255), anchor="mm")
    draw.rounded_rectangle([76, 48, 700, 84 + 24 * len(lines)], radius=16, fill=(255, 255, 255))
    draw.text((92, 56), item.author.display_name, font=name_face, fill=(5, 5, 5))
    for index, line in enumerate(lines):
        draw.text((92, 80 + 24 * index), line, font=body, fill=(28, 30, 33))
    footer = 96 + 24 * len(lines)
    draw.text((92, footer), f"Liker · Svar · {item.created_at:%H:%M}", font=small, fill=(101, 103, 107))
    draw.text(
        (20, height - 26),
        f"Skjermbilde tatt {taken_at:%d.%m.%Y %H:%M} av {taken_by}",
        font=small,
        fill=(120, 120, 120),
    )
    return image


# --------------------------------------------------------------------------------------------------------------
# Thread building


def numeric_id(*parts: object, digits: int = 17) -> str:
    """A stable platform-looking numeric id derived from ``parts``."""
    value = int(hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest(), 16)
    return str(10 ** (digits - 1) + value % (9 * 10 ** (digits - 1)))


class ThreadBuilder:
    """Collects the comments of one thread; ids and URLs follow a platform-specific pattern."""

    def __init__(
        self,
        platform: Platform,
        account: Account,
        thread_id: str,
        url: str,
        comment_url: Callable[[str, Author], str | None],
    ) -> None:
        self.platform = platform
        self.account = account
        self.thread_id = thread_id
        self.url = url
        self.comment_url = comment_url
        self.comments: list[Item] = []
        self.depth: dict[str, int] = {}

    def next_id(self) -> str:
        return numeric_id(self.platform.value, self.thread_id, len(self.comments))

    def add(self, author: Author, text: str, created_at: datetime, reply_to: Item | None = None, **extra: Any) -> Item:
        """Append a comment (``reply_to`` must already be in the thread) and return it."""
        comment_id = self.next_id()
        item = Item(
            id=comment_id,
            parent_id=reply_to.id if reply_to else None,
            author=author,
            created_at=created_at,
            text=text,
            url=self.comment_url(comment_id, author),
            **extra,
        )
        self.comments.append(item)
        self.depth[comment_id] = self.depth[reply_to.id] + 1 if reply_to else 1
        return item

    def build(self, post: Item, title: str | None = None) -> Thread:
        """The finished thread; captured the morning after its last activity."""
        last = max(
            [t for i in [post, *self.comments] for t in (i.created_at, i.edited_at) if t is not None]
            + [i.removal.removed_at for i in self.comments if i.removal and i.removal.removed_at]
        )
        captured_at = (last + timedelta(days=1)).replace(hour=6, minute=30, second=0)
        return Thread(
            platform=self.platform,
            account=self.account,
            thread_id=self.thread_id,
            url=self.url,
            title=title,
            post=post,
            comments=self.comments,
            captured_at=captured_at,
            source="sample",
        )


def removal_with_screenshot(
    media: MediaStore, platform: Platform, slug: str, text: str, author: Author, created_at: datetime, **removal: Any
) -> Removal:
    """A ``Removal`` whose screenshot renders the comment as it stood just before it was removed."""
    taken_at = removal["removed_at"] - timedelta(minutes=2)
    stand_in = Item(id="screenshot", author=author, created_at=created_at, text=text)
    shot = media.save(
        comment_screenshot(stand_in, PLATFORM_LABELS[platform], taken_at, removal["removed_by"]),
        f"{slug}/skjermbilde-{removal['reason']}-{created_at:%Y%m%d-%H%M}.png",
        f"skjermbilde-{numeric_id(slug, created_at.isoformat(), digits=10)}",
        kind="screenshot",
        alt_text=f"Skjermbilde av kommentaren fra {author.display_name}, tatt før den ble fjernet",
    )
    return Removal(screenshot=shot, **removal)


# --------------------------------------------------------------------------------------------------------------
# People

FIRST_NAMES = [
    "Kari", "Ola", "Ingrid", "Lars", "Marit", "Per", "Sigrid", "Knut", "Anne", "Bjørn", "Solveig", "Tor", "Hilde",
    "Øystein", "Ragnhild", "Erik", "Åse", "Jon", "Liv", "Magnus", "Turid", "Håkon", "Silje", "Vegard", "Mona",
    "Eirik", "Tone", "Geir", "Randi", "Sindre", "Nora", "Jørgen", "Ida", "Even", "Astrid", "Kristoffer", "Line",
]  # fmt: skip
LAST_NAMES = [
    "Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Kristiansen", "Jensen", "Karlsen",
    "Berg", "Haugen", "Hagen", "Eriksen", "Bakken", "Strand", "Lie", "Moen", "Dahl", "Solberg", "Lunde", "Sæther",
    "Aasen", "Myklebust", "Fjeldstad", "Grønli", "Rønning", "Østby", "Kvalvik", "Nordahl", "Sørensen", "Mikkelsen",
]  # fmt: skip
OTHER_NAMES = [
    "Ahmed Ali", "Fatima Hassan", "Piotr Nowak", "Agnieszka Kowalska", "Thi Hoa Nguyen", "Yonas Tesfaye",
    "Aino Virtanen", "Ánde Hætta", "Máret Eira", "Jovnna Somby", "Elle Márjá Sara", "Lina Haddad", "Tomas Petrauskas",
]  # fmt: skip


def people(prefix: str, count: int, seed: str) -> list[Author]:
    """``count`` distinct fictional residents with platform-style ids."""
    rng = random.Random(seed)
    names: list[str] = []
    while len(names) < count:
        local = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        name = rng.choice(OTHER_NAMES) if rng.random() < 0.12 else local
        if name not in names:
            names.append(name)
    return [Author(id=f"{prefix}{numeric_id(seed, name, digits=15)}", display_name=name) for name in names]


def person(prefix: str, name: str) -> Author:
    return Author(id=f"{prefix}{numeric_id(prefix, name, digits=15)}", display_name=name)


Sample = tuple[str, Thread, Flag]  # file stem <platform>-<slug>, thread, its flag
Row = tuple[str, Author, int, str | None, int, str]  # key, author, minutes after start, reply-to key, reactions, text


def script(b: ThreadBuilder, start: datetime, rows: list[Row]) -> dict[str, Item]:
    """Add hand-written comments; each row may reply to an earlier row by key."""
    added: dict[str, Item] = {}
    for key, author, minutes, reply_to, reactions, text in rows:
        parent = added[reply_to] if reply_to else None
        added[key] = b.add(author, text, start + timedelta(minutes=minutes), parent, reactions=reactions)
    return added


# --------------------------------------------------------------------------------------------------------------
# The consultation: text fragments combined with a seeded RNG

TOPICS: dict[str, list[str]] = {
    "gågate": [
        "Gågate i Strandgata er en god idé, men bare hvis varelevering fortsatt er mulig tidlig på morgenen.",
        "Jeg er redd en gågate blir helt død om vinteren når det er mørkt og sludd fra oktober til april.",
        "Se på Ålesund og Molde – de sentrumsgatene som ble stengt for biler fikk faktisk mer liv etterpå.",
        "Hva skjer med de som bor i Strandgata og trenger å kjøre helt fram til døra?",
        "En gågate må ha tak eller i det minste le for vinden fra fjorden, ellers står ingen der lenge.",
        "Det er allerede få biler i Strandgata etter klokka fem, så jeg skjønner ikke hvorfor dette er så viktig.",
        "Gågata bør strekke seg helt ned til Kaia, ikke stoppe ved Torget slik planen viser.",
        "Jeg har drevet butikk i Strandgata i 22 år, og kundene mine kommer med bil. Det er bare sånn det er.",
        "Endelig kan ungene gå trygt mellom biblioteket og kaia uten å krysse en gate full av biler.",
    ],
    "parkering": [
        "Hvor skal vi som bor i Nordbyen parkere når vi skal på apoteket?",
        "Et parkeringshus ved Stasjonsgata er helt greit, men det må være gratis den første timen.",
        "Dere fjerner 140 parkeringsplasser og erstatter dem med 180 i et hus som ikke skal stå ferdig før 2029.",
        "Parkeringsplassen ved kaia er det eneste stedet bobilturistene kan stå om sommeren.",
        "Det må finnes HC-plasser nær Torget, ikke bare i parkeringshuset.",
        "Ærlig talt: det er aldri fullt på parkeringsplassen ved kaia unntatt på 17. mai.",
        "Hvis parkeringen blir dyrere kjører folk til kjøpesenteret på Moane i stedet, og da dør sentrum.",
        "Kan parkeringshuset få ladepunkter for elbil fra første dag? Det er nesten ingen ladere i sentrum nå.",
    ],
    "høyde": [
        "Fem etasjer i Stasjonsgata vil ta sola fra hele Bakkegata fra oktober til mars.",
        "Vi trenger flere leiligheter i sentrum, så jeg synes fem etasjer er helt greit.",
        "Nye bygg må tilpasses trehusmiljøet, ikke se ut som et kjøpesenter i Oslo.",
        "Har dere gjort sol- og skyggeanalyser for vinterhalvåret? Jeg finner dem ikke i planbeskrivelsen.",
        "240 nye boliger er mange, men hvor skal alle barna gå i barnehage?",
        "Unge folk flytter fra Fjordvik fordi det ikke finnes leiligheter å kjøpe. Bygg!",
        "Jeg er positiv til fortetting, men ikke når det betyr at utsikten over fjorden forsvinner for alle bak.",
        "Kan noen av leilighetene bli utleieboliger med rimelig husleie? Ikke alle har råd til å kjøpe.",
    ],
    "park": [
        "Fjordparken er det beste forslaget jeg har sett fra kommunen på mange år 🌳",
        "En park ved kaia er fint, men den må vedlikeholdes. Se hvordan det gikk med Kirkeparken.",
        "Husk benker med ryggstø og armlener, slik at også eldre kan sitte der.",
        "Parken bør ha en lekeplass for de minste og et sted der ungdommen kan henge uten å bli jaget bort.",
        "Trær tar mange år å vokse til. Plant store trær fra starten, ikke små pinner.",
        "Kan det bli en badebrygge i parken? Fjorden er jo rett der.",
        "Toalett i parken er et must. Det finnes nesten ingen offentlige toaletter i sentrum i dag.",
        "Det blir kaldt og vindfullt ved kaia – tenk på le og beplantning som skjermer.",
    ],
    "sykkel": [
        "En sammenhengende sykkelvei fra Nordbyen til skolene har vi ventet på i femten år.",
        "Sykkelveien må brøytes og strøs om vinteren, ellers er den ubrukelig halve året.",
        "Skill sykkelvei og gangvei tydelig. Det er ikke trivelig å bli passert av elsparkesykler i 25 km/t.",
        "Vi trenger sykkelparkering med tak ved skolen og ved bussterminalen.",
        "Bakken opp fra Kaia er for bratt for de fleste. Sykkelveien bør heller gå langs Elvegata.",
        "Datteren min sykler til Fjordvik ungdomsskole hver dag, og Stasjonsgata er den farligste biten.",
        "Sykkelveien bør ha egen trasé forbi Torget, ikke deles med fotgjengere og uteservering.",
        "Jeg sykler til jobben på sjukehuset året rundt. Det som mangler er ikke maling på asfalten, men kantstein.",
        "Tenk på bysykler eller el-sykler til utlån, slik Stavanger har. Det passer fint i Fjordvik også.",
    ],
    "kollektiv": [
        "Bussene må fortsatt kunne stoppe ved Torget, det er der de eldre skal.",
        "Flytt bussterminalen nærmere hurtigbåtkaia, så det blir enklere å bytte.",
        "Hvis dere vil ha færre biler i sentrum må bussen gå oftere enn én gang i timen.",
        "Hvorfor står det ingenting om bestillingstransport for dem som bor i grendene?",
        "Det må være mulig å vente på bussen under tak – i dag står vi i regnet på Torget.",
        "Sanntidsskjerm på holdeplassen hadde gjort mye. I dag vet man aldri om bussen er gått.",
        "Hurtigbåten og bussen går ikke i hverandre. Fem minutter for sent og man venter en time.",
        "Kan bussen kjøre gjennom Strandgata selv om det blir gågate? Mange byer har løst det.",
    ],
    "handel": [
        "Sentrum trenger flere butikker og kafeer, ikke flere kontorer.",
        "Spør handelsstanden før dere vedtar noe som helst. De merker hver endring på kassa.",
        "Torgdagene om sommeren er det beste med sentrum. Sørg for at det fortsatt er plass til bodene.",
        "Jeg handler i sentrum hver uke, men det er fordi jeg kan parkere rett utenfor.",
        "Kan noen av førsteetasjene i de nye byggene reserveres for butikk og servering?",
        "Tomme lokaler i Strandgata er et større problem enn biltrafikk.",
    ],
    "kulturminner": [
        "Gamlebrygga og Tollboden må bevares, de er det eneste som er igjen av det gamle Fjordvik.",
        "Jeg savner en plan for hvordan de gamle trehusene i Bakkegata skal beskyttes.",
        "Fjordvik historielag har mange bilder av sentrum fra 1900-tallet – bruk dem når dere planlegger.",
        "Brosteinen i Kirkegata må ikke asfalteres, den er en del av sjela til byen.",
        "Hvorfor er ikke Riksantikvaren nevnt i høringslisten?",
        "Den gamle kaimuren er fra 1880-tallet. Den må ikke forsvinne under ny betong.",
        "Skilt med historien til de gamle husene hadde vært fint for både turister og oss som bor her.",
        "Gamle Fjordvik var bygget for folk, ikke for biler. Det er kanskje et argument for gågata?",
    ],
    "barn": [
        "Som mor til tre savner jeg trygge steder å leke i sentrum.",
        "Ungdommen trenger et sted å være etter skoletid som ikke koster penger.",
        "Ta med ungdomsrådet på råd, de har gode ideer om hva sentrum trenger.",
        "Skoleveien over Stasjonsgata må bli tryggere før det bygges 240 nye boliger.",
        "En skatepark i Fjordparken hadde vært midt i blinken 🛹",
        "Barnehagen i Bakkegata er allerede full. Hvor skal de nye familiene gå?",
        "Det finnes ikke en eneste lekeplass mellom Torget og Kaia i dag.",
        "Sønnen min på 15 sier at det eneste stedet å være er utenfor Coop. Det sier vel sitt.",
        "Husk at barn også er høringsparter – spør skolene og barnehagene direkte.",
    ],
    "tilgjengelighet": [
        "Jeg sitter i rullestol, og i dag er det nesten umulig å komme seg fra Torget ned til Kaia.",
        "Husk ledelinjer for blinde og svaksynte i den nye gågata.",
        "Brostein er vakkert, men helt håpløst med rullator. Legg en jevn stripe i midten.",
        "Universell utforming må være med fra starten, ikke bli noe man legger til etterpå.",
        "Mange eldre bor i sentrum nettopp fordi alt er i gangavstand. Ikke gjør det vanskeligere for dem.",
        "Trappene ned til Kaia er bratte og uten rekkverk på den ene siden.",
        "Gågata må ha hvileplasser med jevne mellomrom – ikke alle klarer 300 meter uten pause.",
        "Tenk også på dem med barnevogn. Det er de samme bakkene og de samme kantsteinene.",
    ],
    "klima": [
        "Kaiveien står under vann hver gang det er springflo og sørvest samtidig.",
        "Har dere tatt høyde for havnivåstigning når dere planlegger boliger helt nede ved kaia?",
        "Overvannet fra Bakkegata renner rett ned i Strandgata. Det må planlegges regnbed og grøfter.",
        "Stormen i fjor viste at kaiområdet er mer utsatt enn vi trodde.",
        "Flere trær og mindre asfalt er også klimatilpasning – det trekker opp vannet.",
        "Kjellerne i Strandgata ble fylt med vann både i 2019 og 2023. Forsikringen betaler ikke en tredje gang.",
        "Grønne tak på de nye byggene hadde tatt unna mye av regnvannet.",
    ],
    "prosess": [
        "Planbeskrivelsen er på 148 sider. Kan kommunen lage et sammendrag på én side?",
        "Folkemøtet kolliderer med foreldremøtet på ungdomsskolen. Kan det strømmes?",
        "Kommer innspillene her i kommentarfeltet virkelig med i saken, eller må man sende e-post?",
        "Hvem bestemmer egentlig til slutt – kommunestyret eller administrasjonen?",
        "Fint om dere legger ut en 3D-modell, slik at vi kan se hvordan byggene blir fra gata.",
        "Høringsfristen er for kort når planen er så omfattende.",
        "Det er bra at dere spør på Facebook, da når dere flere enn bare de som leser avisa.",
        "Kartet i høringsdokumentet er umulig å lese på mobil.",
        "Dere skriver “levende sentrum” i hver eneste plan, men hva betyr det egentlig i praksis?",
    ],
}

OPENERS = [
    "Takk for at vi får si vår mening.",
    "Jeg har bodd i sentrum hele livet, så her er mine tanker.",
    "Endelig skjer det noe i sentrum!",
    "Har lest gjennom planforslaget, og har noen innspill.",
    "Mye bra her, men noe bekymrer meg.",
    "Kort innspill fra en småbarnsfamilie i Bakkegata:",
    "Som næringsdrivende i sentrum vil jeg si følgende.",
    "Jeg var på folkemøtet på tirsdag, og vil gjenta det jeg sa der.",
    "Dette er viktig for oss som bor i Nordbyen.",
    "Mitt høringsinnspill:",
    "Hei!",
]

CLOSERS = [
    "Håper dere lytter denne gangen.",
    "Lykke til med arbeidet 👍",
    "Mvh en bekymret nabo.",
    "Takk for at dere tar dette på alvor 🙏",
    "Dette må politikerne ta stilling til.",
    "Ser fram til å se hvordan dette blir!",
    "Ikke gjør samme feil som i 2015.",
    "Fjordvik fortjener et levende sentrum ❤️",
    "Vil gjerne ha svar på dette.",
]

AGREE = [
    "Helt enig!",
    "Godt sagt 👍",
    "Enig med deg her.",
    "Dette er akkurat det jeg tenkte også.",
    "Signert.",
    "Takk for at du sier det.",
    "Så bra at noen tør å si dette høyt.",
]

DISAGREE = [
    "Her er jeg faktisk uenig.",
    "Nja, det er ikke helt sånn.",
    "Har du lest planen? Det står faktisk noe annet der.",
    "Det der har vi hørt før 🙄",
    "Jeg forstår bekymringen, men ser det litt annerledes.",
    "Det er lett å være mot alt.",
]

FOLLOW_UPS = [
    "Takk for svar!",
    "Takk, da sender jeg en e-post i tillegg.",
    "Fint, da venter jeg på saksfremlegget.",
    "Ok, men det svarer egentlig ikke på spørsmålet mitt.",
    "Bra, kommer dette med i neste versjon av planen?",
]

NYNORSK = [
    "Eg synest det er bra at de endeleg tek tak i sentrum, men de må hugse på dei som bur her heile året.",
    "Kvifor skal alt skje i sentrum? Vi i grendene treng òg gode vegar og busstilbod.",
    "Fjordparken høyrest fin ut. Eg håpar de plantar tre som toler vind og salt frå sjøen.",
    "Gamlebrygga er ein del av historia vår. Ho må ikkje rivast.",
]

EMOJI_TAILS = ["👍", "🙏", "❤️", "😡", "🎉", "👨‍👩‍👧", "🇳🇴", "👍🏽", "🤔", "🌳🌳", "😊", "👏"]

MUNICIPALITY_ANSWERS: dict[str, str] = {
    "gågate": "Planforslaget åpner for varelevering i Strandgata før kl. 10 og for beboere med parkeringstillatelse.",
    "parkering": "Det nye parkeringshuset er planlagt med 180 plasser, hvorav 12 HC-plasser og 30 med lader. "
    "Gateparkering fjernes ikke før huset står ferdig.",
    "høyde": "Sol- og skyggeanalysene ligger i vedlegg 7 til planbeskrivelsen, for 21. mars, 21. juni og 21. desember.",
    "park": "Fjordparken skal detaljprosjekteres etter at planen er vedtatt, og da vil vi invitere til egen "
    "medvirkning om innholdet – også med ungdomsrådet.",
    "sykkel": "Sykkelveien skal driftes etter samme vintervedlikeholdsklasse som hovedvegene i sentrum.",
    "kollektiv": "Fylkeskommunen er høringspart og har fått planen på høring. Rutetilbudet er deres ansvar, "
    "men vi tar innspillet med i vår dialog med dem.",
    "handel": "Planen krever aktive førsteetasjer (butikk, servering eller service) mot Strandgata og Torget.",
    "kulturminner": "Gamlebrygga og Tollboden er regulert til bevaring (hensynssone H570). Fylkeskommunen "
    "og Riksantikvaren er varslet.",
    "barn": "Barnetråkkregistreringen fra skolene ligger i vedlegg 4. Ungdomsrådet behandler planen i sitt møte "
    "den 17. februar.",
    "tilgjengelighet": "Krav om universell utforming og ledelinjer står i bestemmelsene § 5.3. Eldrerådet og "
    "rådet for personer med funksjonsnedsettelse er høringsparter.",
    "klima": "Laveste tillatte gulvhøyde for nye bygg ved kaia er satt til kote +3,0 for å ta høyde for "
    "havnivåstigning og stormflo. Overvann skal håndteres med regnbed og åpne løsninger.",
    "prosess": "Innspill her i kommentarfeltet blir journalført som høringsinnspill i sak 2026/1042, så du "
    "trenger ikke sende det på nytt. Folkemøtet blir strømmet på kommunens YouTube-kanal.",
}


def compose(rng: random.Random, topic: str, sentences: int) -> str:
    """A resident's comment on ``topic`` of about ``sentences`` sentences."""
    body = rng.sample(TOPICS[topic], k=min(sentences, len(TOPICS[topic])))
    if sentences > 2 and rng.random() < 0.5:
        other = rng.choice([t for t in TOPICS if t != topic])
        body.append(rng.choice(TOPICS[other]))
    parts = ([rng.choice(OPENERS)] if rng.random() < 0.35 else []) + body
    if rng.random() < 0.3:
        parts.append(rng.choice(CLOSERS))
    text = " ".join(parts)
    if sentences >= 5 and rng.random() < 0.6:
        half = len(parts) // 2
        text = " ".join(parts[:half]) + "\n\n" + " ".join(parts[half:])
    if rng.random() < 0.2:
        text += " " + rng.choice(EMOJI_TAILS)
    return text


def reply_text(rng: random.Random, topic: str, parent: Item) -> str:
    """A short agreeing or disagreeing reply, possibly adding a point the parent didn't make."""
    reaction = rng.choice(AGREE if rng.random() < 0.6 else DISAGREE)
    fresh = [sentence for sentence in TOPICS[topic] if sentence not in parent.text]
    if rng.random() < 0.25 or not fresh:
        return reaction
    return f"{reaction} {' '.join(rng.sample(fresh, k=min(len(fresh), rng.choice([1, 1, 2]))))}"


def awake(moment: datetime) -> datetime:
    """Move a time between midnight and 07 into the morning; few residents comment at night."""
    return moment + timedelta(hours=7) if moment.hour < 7 else moment


def consultation(media: MediaStore) -> Sample:
    """Facebook: public consultation on the zoning plan for the town centre, 150+ comments."""
    slug = "facebook-hoering-reguleringsplan-sentrum"
    rng = random.Random(20261042)
    post_id = "1042387765521904"
    url = f"https://www.facebook.com/fjordvikkommune/posts/{post_id}"
    account = Account(
        id="fjordvikkommune",
        name="Fjordvik kommune",
        url="https://www.facebook.com/fjordvikkommune",
        owning_unit="Kommunikasjonsavdelingen",
    )
    kommune = Author(id="fb-100064812345678", display_name="Fjordvik kommune", is_municipality=True)
    residents = people("fb-", 95, "fb-residents")
    b = ThreadBuilder(Platform.FACEBOOK, account, post_id, url, lambda cid, _a: f"{url}?comment_id={cid}")
    start = at(2026, 2, 2, 9, 0)
    post = Item(
        id=post_id,
        author=kommune,
        created_at=start,
        text=(
            "Høring: forslag til ny reguleringsplan for Sentrum 🏘️\n\n"
            "Fjordvik kommune legger forslag til ny reguleringsplan for Sentrum (planID 2024003) ut på offentlig "
            "ettersyn. Planen legger opp til:\n"
            "• ny gågate i Strandgata mellom Torget og Kaia\n"
            "• om lag 240 nye boliger rundt Stasjonsgata, inntil fem etasjer\n"
            "• en ny sentrumspark – «Fjordparken» – der parkeringsplassen ved kaia ligger i dag\n"
            "• nytt parkeringshus og sammenhengende sykkelvei fra Nordbyen til skolene\n\n"
            "Vi vil gjerne høre hva du mener! Innspill du skriver her i kommentarfeltet blir behandlet som "
            "høringsinnspill og journalført i sak 2026/1042. Du kan også sende innspill til "
            "postmottak@fjordvik.kommune.no.\n\n"
            "Høringsfrist: 2. mars 2026. Åpent folkemøte i Kulturhuset tirsdag 10. februar kl. 18.00.\n\n"
            "Vennlig hilsen Plan og byggesak"
        ),
        media=[
            media.save(
                sentrum_illustration(),
                f"{slug}/illustrasjon-fjordparken.jpg",
                "media-1042-illustrasjon",
                url="https://www.facebook.com/photo/?fbid=1042387765600011",
                alt_text="Illustrasjon av planlagt gågate i Strandgata, sykkelvei og Fjordparken ved kaia",
            )
        ],
        reactions=214,
        url=url,
    )

    def later(parent: Item, mean_minutes: float = 150) -> datetime:
        return awake(parent.created_at + timedelta(minutes=3 + round(rng.expovariate(1 / mean_minutes))))

    def answer(top: Item, topic: str) -> Item:
        first_name = top.author.display_name.split()[0]
        text = f"Hei, {first_name}! Takk for innspillet. {MUNICIPALITY_ANSWERS[topic]}\nVennlig hilsen Plan og byggesak"
        return b.add(kommune, text, later(top, 600), top, reactions=rng.randint(1, 12))

    def debate(top: Item, topic: str) -> None:
        """Replies under a top-level comment, sometimes an answer from the municipality and a follow-up."""
        branch = [top]
        for _ in range(rng.choice([0, 0, 0, 1, 1, 2, 2, 3, 4, 5])):
            parent = rng.choice([c for c in branch if b.depth[c.id] < 4])
            text = rng.choice(NYNORSK) if rng.random() < 0.04 else reply_text(rng, topic, parent)
            branch.append(b.add(rng.choice(residents), text, later(parent), parent, reactions=rng.randint(0, 9)))
        if rng.random() < 0.18:
            reply = answer(top, topic)
            if rng.random() < 0.6:
                b.add(top.author, rng.choice(FOLLOW_UPS), later(reply), reply, reactions=rng.randint(0, 3))

    specials: dict[int, Callable[[datetime], None]] = {
        4: lambda t: consultation_sami(b, kommune, residents, t),
        9: lambda t: consultation_flood_photo(b, media, slug, kommune, residents, t),
        15: lambda t: consultation_edited(b, kommune, residents, t),
        23: lambda t: consultation_harassment(b, media, slug, residents, t),
        31: lambda t: consultation_spam(b, t),
        40: lambda t: consultation_sensitive(b, media, slug, kommune, t),
        52: lambda t: consultation_nynorsk(b, residents, t),
    }
    minutes = sorted(5 + round(rng.betavariate(0.7, 3) * 60 * 24 * 26) for _ in range(70))
    for index, minute in enumerate(minutes):
        created = awake(start + timedelta(minutes=minute))
        if index in specials:
            specials[index](created)
            continue
        topic = rng.choice(list(TOPICS))
        text = compose(rng, topic, rng.choice([1, 1, 2, 2, 2, 3, 3, 4, 5, 6]))
        top = b.add(rng.choice(residents), text, created, reactions=rng.choice([0, 1, 2, 3, 5, 8, 13, 27, 41]))
        debate(top, topic)
    flag = Flag(
        thread_url=url,
        kind=FlagKind.JOURNAL_REQUIRED,
        case_number="2026/1042",
        case_title="Reguleringsplan for Sentrum – høring og offentlig ettersyn",
        flagged_by=PLAN_EDITOR,
        flagged_at=start + timedelta(minutes=20),
        note="Kommentarene er høringsinnspill og journalføres samlet etter høringsfristen.",
    )
    return slug, b.build(post), flag


def consultation_sami(b: ThreadBuilder, kommune: Author, residents: list[Author], t: datetime) -> None:
    """A North Sámi commenter, answered by the municipality."""
    maret = person("fb-", "Máret Ánte Somby")
    top = b.add(
        maret,
        "Buorre beaivi! Mun lean Kárášjogas, muhto lean ássan Fjordvikas logi jagi. Sávan ahte ođđa "
        "guovddášplánas leat maid sámegiel galbbat ja báiki gos máŋga sámi servviid sáhttet čoahkkanit. "
        "Giitu! 🙏\n\n(På norsk: Jeg ønsker meg samiske skilt i sentrum og et møtested for de samiske "
        "foreningene.)",
        t,
        reactions=36,
    )
    reply = b.add(
        kommune,
        "Giitu, Máret! Takk for innspillet. Skilting er ikke en del av selve reguleringsplanen, men vi tar "
        "ønsket om samiske skilt og et møtested med videre i arbeidet med Fjordparken. "
        "Vennlig hilsen Plan og byggesak",
        t + timedelta(hours=5, minutes=12),
        top,
        reactions=14,
    )
    b.add(
        residents[3],
        "Så bra! Ruoŧŧa-siden av familien min kommer til å elske dette 😊",
        reply.created_at + timedelta(minutes=40),
        reply,
        reactions=2,
    )


def consultation_flood_photo(
    b: ThreadBuilder, media: MediaStore, slug: str, kommune: Author, residents: list[Author], t: datetime
) -> None:
    """A resident posts a photo of a flooded street."""
    photo = media.save(
        flooded_street(),
        f"{slug}/kommentar-kaiveien-oversvommet.jpg",
        "media-1042-kaiveien",
        url="https://www.facebook.com/photo/?fbid=1042387765600377",
        alt_text="Mobilbilde av Kaiveien under vann etter kraftig regn",
    )
    top = b.add(
        residents[10],
        "Slik så Kaiveien ut i går kveld 😡 Og her vil dere bygge boliger og park? Planen må ta høyde for "
        "springflo og overvann før noe som helst blir vedtatt.",
        t,
        media=[photo],
        reactions=58,
    )
    first = b.add(
        residents[11],
        "Det har vært sånn hver høst de siste fem årene. Godt at noen tok bilde!",
        t + timedelta(minutes=25),
        top,
        reactions=9,
    )
    b.add(
        kommune,
        f"Takk for bildet, {residents[10].display_name.split()[0]}! {MUNICIPALITY_ANSWERS['klima']} "
        "Bildet ditt blir lagt ved høringsinnspillene. Vennlig hilsen Plan og byggesak",
        t + timedelta(hours=3),
        top,
        reactions=17,
    )
    b.add(
        residents[12],
        "Bilder sier mer enn 148 sider planbeskrivelse 👍",
        first.created_at + timedelta(hours=1),
        first,
        reactions=4,
    )


def consultation_edited(b: ThreadBuilder, kommune: Author, residents: list[Author], t: datetime) -> None:
    """An edited comment (one earlier revision) starting a reply chain four levels deep."""
    first_text = "Fire etasjer i Stasjonsgata er for høyt. Tre etasjer holder, ellers forsvinner sola fra Bakkegata."
    edited_at = t + timedelta(minutes=34)
    top = b.add(
        residents[20],
        "Fem etasjer i Stasjonsgata er for høyt. Tre etasjer holder, ellers forsvinner sola fra Bakkegata.\n"
        "(Rettet: planen sier fem etasjer, ikke fire – takk til dere som påpekte det.)",
        t,
        edited_at=edited_at,
        revisions=[Revision(text=first_text, valid_from=t, valid_to=edited_at)],
        reactions=22,
    )
    level2 = b.add(
        residents[21],
        "Det står faktisk fem etasjer, ikke fire. Se kartet på side 12.",
        t + timedelta(minutes=20),
        top,
        reactions=3,
    )
    level3 = b.add(
        kommune,
        f"Det stemmer, {residents[21].display_name.split()[0]}. Planen tillater inntil fem etasjer i kvartalene "
        f"mot Stasjonsgata og tre mot Bakkegata. {MUNICIPALITY_ANSWERS['høyde']}",
        t + timedelta(hours=2, minutes=5),
        level2,
        reactions=11,
    )
    b.add(
        residents[20],
        "Takk! Da skal jeg lese vedlegg 7 før folkemøtet.",
        level3.created_at + timedelta(hours=1),
        level3,
        reactions=1,
    )


def consultation_harassment(
    b: ThreadBuilder, media: MediaStore, slug: str, residents: list[Author], t: datetime
) -> None:
    """A comment deleted for personsjikane; the capture keeps its text and a screenshot."""
    author = person("fb-", "Rune Kvalvik")
    text = (
        "Terje Vollan i planavdelingen er en løgnaktig idiot som er kjøpt og betalt av utbyggerne. Alle vet "
        "hvor han bor, og han skal ikke få sove godt når dette blir vedtatt. Skam deg, Terje!"
    )
    removed_at = t + timedelta(minutes=47)
    top = b.add(
        author,
        text,
        t,
        reactions=6,
        removal=removal_with_screenshot(
            media,
            Platform.FACEBOOK,
            slug,
            text,
            author,
            t,
            state="deleted",
            reason=RemovalReason.PERSONSJIKANE,
            removed_at=removed_at,
            removed_by=PLAN_EDITOR,
            note="Personangrep og trussel mot navngitt ansatt, jf. retningslinjene for kommentarfeltet pkt. 3. "
            "Forfatteren er varslet.",
        ),
    )
    b.add(
        residents[30],
        "Dette var ikke greit. Man kan være uenig i planen uten å gå på personen.",
        t + timedelta(minutes=12),
        top,
        reactions=31,
    )


def consultation_spam(b: ThreadBuilder, t: datetime) -> None:
    """A spam comment, hidden."""
    b.add(
        person("fb-", "Rask Gevinst Norge"),
        "💰💰 Tjen 5 000 kr om dagen hjemmefra! Over 300 nordmenn har allerede sagt opp jobben sin. "
        "Les mer ➡️ www.rask-gevinst.example/no",
        t,
        removal=Removal(
            state="hidden",
            reason=RemovalReason.SPAM,
            removed_at=t + timedelta(hours=3, minutes=10),
            removed_by=KOMMUNIKASJON,
            note="Svindelreklame. Skjult, ikke slettet, slik at avsenderen ikke oppretter en ny profil.",
        ),
    )


def consultation_sensitive(b: ThreadBuilder, media: MediaStore, slug: str, kommune: Author, t: datetime) -> None:
    """A comment with a (fake) national identity number, deleted with a screenshot and answered."""
    author = person("fb-", "Camilla Sæther")
    text = (
        "Dette gjelder også barnehageplass! Sønnen min Jonas (fnr. 010120 12345) fikk avslag på plass i "
        "Sentrum barnehage, og saksbehandleren svarer ikke. Kan noen i kommunen se på saken hans?"
    )
    removed_at = t + timedelta(minutes=58)
    top = b.add(
        author,
        text,
        t,
        reactions=2,
        removal=removal_with_screenshot(
            media,
            Platform.FACEBOOK,
            slug,
            text,
            author,
            t,
            state="deleted",
            reason=RemovalReason.SENSITIVE_PERSONAL_DATA,
            removed_at=removed_at,
            removed_by=KOMMUNIKASJON,
            note="Inneholdt fødselsnummer til et barn. Innsender er kontaktet og henvist til Oppvekst.",
        ),
    )
    b.add(
        kommune,
        "Hei, Camilla. Vi har fjernet kommentaren din fordi den inneholdt et fødselsnummer. Saker om "
        "barnehageplass kan vi dessverre ikke behandle her – send en melding til oss på Messenger eller ring "
        "Servicetorget, så hjelper vi deg videre. Vennlig hilsen Fjordvik kommune",
        removed_at + timedelta(minutes=3),
        top,
        reactions=8,
    )


def consultation_nynorsk(b: ThreadBuilder, residents: list[Author], t: datetime) -> None:
    """A nynorsk exchange."""
    top = b.add(person("fb-", "Sigrun Myklebust"), NYNORSK[1] + " " + NYNORSK[0], t, reactions=19)
    reply = b.add(
        residents[40],
        "Heilt einig, Sigrun! Bussen til Nordfjordbotn går berre tre gonger om dagen.",
        t + timedelta(hours=1),
        top,
        reactions=5,
    )
    b.add(
        residents[41],
        "Men eit levande sentrum er bra for grendene òg – det er der vi handlar.",
        reply.created_at + timedelta(minutes=50),
        reply,
        reactions=3,
    )


def school_route(media: MediaStore) -> Sample:
    """Facebook: the education unit asks parents and children where the route to school feels unsafe."""
    slug = "facebook-trygg-skolevei"
    post_id = "877120034418862"
    url = f"https://www.facebook.com/fjordvikoppvekst/posts/{post_id}"
    account = Account(
        id="fjordvikoppvekst",
        name="Oppvekst i Fjordvik kommune",
        url="https://www.facebook.com/fjordvikoppvekst",
        owning_unit="Oppvekst og kultur",
    )
    oppvekst = Author(id="fb-100071100223344", display_name="Oppvekst i Fjordvik kommune", is_municipality=True)
    b = ThreadBuilder(Platform.FACEBOOK, account, post_id, url, lambda cid, _a: f"{url}?comment_id={cid}")
    start = at(2026, 1, 12, 8, 15)
    post = Item(
        id=post_id,
        author=oppvekst,
        created_at=start,
        text=(
            "Trygg skolevei – vi trenger din hjelp! 🚸\n\n"
            "Kommunen lager ny trafikksikkerhetsplan for 2026–2029. Hvor på skoleveien føler barna dine seg "
            "utrygge? Skriv stedet og hva som er problemet i en kommentar – gjerne med bilde. Alle innspill "
            "blir registrert og tatt med i arbeidet med planen.\n\n"
            "Fristen er 1. februar. Elevrådene ved Fjordvik barneskole, Nordbyen skole og Fjordvik "
            "ungdomsskole gjør en egen kartlegging (barnetråkk)."
        ),
        media=[
            media.save(
                school_crossing(),
                f"{slug}/krysset-skoleveien-fjellvegen.jpg",
                "media-877-krysset",
                url="https://www.facebook.com/photo/?fbid=877120034419001",
                alt_text="Fotgjengerfelt i krysset Skoleveien/Fjellvegen uten fortau på den ene siden",
            )
        ],
        reactions=96,
        url=url,
    )
    p = people("fb-", 16, "fb-skolevei")
    rows: list[Row] = [
        ("a", p[0], 14, None, 41, "Krysset Skoleveien/Fjellvegen! Fortauet slutter midt i svingen, og ungene må "
         "gå i veibanen de siste hundre meterne. Om morgenen er det mørkt og glatt, og bilene kjører altfor fort."),
        ("a1", p[1], 31, "a", 12, "Enig. Vi har sluttet å la sjuåringen gå alene av den grunn."),
        ("a2", oppvekst, 95, "a", 9, "Takk! Krysset er allerede registrert som et av de mest nevnte stedene i "
         "barnetråkk-kartleggingen. Vi tar det med videre til Teknisk etat."),
        ("b", p[2], 42, None, 17, "Bussholdeplassen ved Nordbyen skole har ingen lomme, så bussen stopper i "
         "veien og bilene kjører forbi på innsiden der barna går av."),
        ("c", p[3], 70, None, 8, "Elvegata mellom bensinstasjonen og idrettshallen mangler gatelys. "
         "Det er stummende mørkt fra november til februar 🔦"),
        ("c1", p[4], 88, "c", 3, "Lysene der har vært ødelagt siden stormen i fjor høst. Meldt inn to ganger."),
        ("d", p[5], 123, None, 22, "Foreldrekjøringen ved Fjordvik barneskole er det farligste av alt. Hvorfor "
         "ikke stenge Skolebakken for biler mellom 08.00 og 08.30, slik de har gjort i Trondheim?"),
        ("d1", p[6], 140, "d", 5, "Noen av oss må kjøre fordi vi skal rett på jobb i Moane etterpå. Det er ikke "
         "så enkelt."),
        ("d2", p[5], 151, "d1", 14, "Forstår det, men da kan man slippe av barna ved butikken og la dem gå det "
         "siste stykket 🙂"),
        ("d3", p[7], 175, "d2", 4, "Det er jo nettopp det stykket fra butikken som mangler fortau…"),
        ("e", p[8], 230, None, 6, "Snøbrøytingen legger brøytekanten oppå gang- og sykkelveien langs Fjordvegen. "
         "Ungene må gå i bilveien hele vinteren."),
        ("f", p[9], 600, None, 3, "Eg bur i Litlevika, og ungane våre har ingen skuleveg i det heile – det er "
         "berre vegskulder. Kan ikkje kommunen vurdere skuleskyss for alle under 4 km her?"),
        ("f1", oppvekst, 690, "f", 6, "Hei! Skoleskyss for elever som bor nærmere enn 4 km kan innvilges når "
         "skoleveien er særlig farlig. Søknad sendes via skolen. Innspillet ditt tar vi også med i planen."),
        ("g", p[10], 1440, None, 11, "Mange takk for at dere spør! Tre ting fra FAU ved Nordbyen skole: "
         "1) fotgjengerfelt ved Coop, 2) fartshump i Stasjonsgata, 3) gjerde mellom skolegården og Elvegata."),
        ("h", p[11], 2100, None, 0, "Det hjelper ikke med planer så lenge ingen håndhever fartsgrensen 😡"),
        ("h1", p[12], 2160, "h", 2, "Politiet var der med laser i fjor, da kjørte alle pent i en uke…"),
        ("i", p[13], 4300, None, 7, "Skiltet «Skole – vis hensyn» ved Fjellvegen er helt dekket av snø. "
         "Kan det flyttes eller ryddes?"),
    ]  # fmt: skip
    added = script(b, start, rows)
    edited_from = start + timedelta(days=4, hours=2)
    edited_at = edited_from + timedelta(minutes=8)
    b.add(
        p[14],
        "Gangbrua over elva ved idrettshallen er glatt som et skøytebane hele vinteren. Den må strøs før kl. 07.30, "
        "ikke midt på dagen.",
        edited_from,
        edited_at=edited_at,
        revisions=[
            Revision(
                text="Gangbrua over elva ved idrettshallen er glatt hele vinteren. Den må strøs.",
                valid_from=edited_from,
                valid_to=edited_at,
            )
        ],
        reactions=13,
    )
    b.add(
        oppvekst,
        "Tusen takk for alle innspillene! 🙏 Vi har fått over 40 innspill her og på e-post. Alt er registrert og "
        "blir lagt fram for hovedutvalget for oppvekst i mars.",
        start + timedelta(days=19, hours=1),
        added["g"],
        reactions=28,
    )
    flag = Flag(
        thread_url=url,
        kind=FlagKind.JOURNAL_REQUIRED,
        case_number="2026/877",
        case_title="Trafikksikkerhetsplan 2026–2029 – innspill om skoleveier",
        flagged_by="tone.ronning@fjordvik.kommune.no",
        flagged_at=start + timedelta(hours=1),
    )
    return slug, b.build(post), flag


def health_vaccination(media: MediaStore) -> Sample:
    """Facebook: vaccination drop-in; one comment about a named patient removed as case handling."""
    slug = "facebook-vaksinasjon-65-pluss"
    post_id = "611900481772305"
    url = f"https://www.facebook.com/fjordvikhelse/posts/{post_id}"
    account = Account(
        id="fjordvikhelse",
        name="Helse og omsorg – Fjordvik kommune",
        url="https://www.facebook.com/fjordvikhelse",
        owning_unit="Helse og omsorg",
    )
    helse = Author(id="fb-100069900112233", display_name="Helse og omsorg – Fjordvik kommune", is_municipality=True)
    b = ThreadBuilder(Platform.FACEBOOK, account, post_id, url, lambda cid, _a: f"{url}?comment_id={cid}")
    start = at(2025, 10, 6, 10, 0)
    post = Item(
        id=post_id,
        author=helse,
        created_at=start,
        text=(
            "💉 Influensa- og koronavaksine for deg over 65 år\n\n"
            "Drop-in på Helsehuset tirsdager og torsdager kl. 09–14 fra 14. oktober. Ta med legitimasjon. "
            "Influensavaksinen koster 100 kroner, koronavaksinen er gratis. Beboere på Fjordheimen får "
            "vaksinen der de bor."
        ),
        reactions=143,
        url=url,
    )
    p = people("fb-", 9, "fb-helse")
    rows: list[Row] = [
        ("a", p[0], 25, None, 12, "Kan jeg ta begge vaksinene samme dag?"),
        ("a1", helse, 64, "a", 20, "Ja, det går fint å ta begge samtidig – én i hver arm 💪"),
        ("b", p[1], 80, None, 4, "Kan man betale med Vipps?"),
        ("b1", helse, 96, "b", 6, "Ja, Vipps og kort. Vi tar ikke kontanter."),
        ("c", p[2], 190, None, 9, "Min mann på 64 er hjertesyk. Kan han også komme?"),
        ("c1", helse, 230, "c", 7, "Ja, personer i risikogrupper under 65 år får også tilbudet. Ta gjerne med "
         "resepten eller en bekreftelse fra fastlegen."),
        ("d", p[3], 1500, None, 31, "Flott tilbud! Det var kjempeeffektivt i fjor, kom inn og ut på ti minutter 👏"),
        ("e", p[4], 2900, None, 2, "Hvorfor kan ikke apoteket på Moane sette vaksinen? Det er lenge å kjøre "
         "til Helsehuset fra Nordfjordbotn."),
        ("e1", p[5], 2950, "e", 5, "Apoteket tilbyr det også, men det koster litt mer der."),
    ]  # fmt: skip
    script(b, start, rows)
    author = p[6]
    created = start + timedelta(days=3, hours=4)
    text = (
        "Mor mi Gunvor Aasen (91) på avdeling 2 på Fjordheimen har demens og diabetes og har fortsatt ikke fått "
        "vaksinen. Hun ble innlagt på sykehuset i fjor etter influensa. Hvorfor er hun glemt?"
    )
    removed_at = created + timedelta(minutes=36)
    top = b.add(
        author,
        text,
        created,
        reactions=1,
        removal=removal_with_screenshot(
            media,
            Platform.FACEBOOK,
            slug,
            text,
            author,
            created,
            state="deleted",
            reason=RemovalReason.CASE_HANDLING,
            removed_at=removed_at,
            removed_by="helse.kommunikasjon@fjordvik.kommune.no",
            note="Helseopplysninger om navngitt tredjeperson. Pårørende er ringt opp av avdelingsleder.",
        ),
    )
    b.add(
        helse,
        "Hei! Vi har fjernet kommentaren fordi den inneholdt helseopplysninger om en navngitt person. "
        "Avdelingslederen på Fjordheimen tar kontakt med deg på telefon i dag. Vennlig hilsen Helse og omsorg",
        removed_at + timedelta(minutes=4),
        top,
        reactions=3,
    )
    flag = Flag(
        thread_url=url,
        kind=FlagKind.ARCHIVE_WORTHY,
        case_title="Vaksinasjon høsten 2025 – dialog i sosiale medier",
        flagged_by="helse.kommunikasjon@fjordvik.kommune.no",
        flagged_at=created + timedelta(hours=1),
        note="Arkiveres på grunn av fjernet kommentar med helseopplysninger.",
    )
    return slug, b.build(post), flag


def library_opening_post(media: MediaStore) -> Sample:
    """Instagram: the new main library opens."""
    slug = "instagram-nytt-bibliotek"
    post_id = "3551208744190226431"
    url = "https://www.instagram.com/p/DFk2bZsNq7x/"
    account = Account(
        id="fjordvikbibliotek",
        name="Fjordvik bibliotek",
        url="https://www.instagram.com/fjordvikbibliotek/",
        owning_unit="Oppvekst og kultur",
    )
    bibliotek = Author(id="ig-fjordvikbibliotek", display_name="fjordvikbibliotek", is_municipality=True)
    b = ThreadBuilder(Platform.INSTAGRAM, account, post_id, url, lambda _cid, _a: None)
    start = at(2026, 1, 24, 11, 0)
    post = Item(
        id=post_id,
        author=bibliotek,
        created_at=start,
        text=(
            "Nå åpner vi dørene! 📚🎉\n\n"
            "Det nye hovedbiblioteket i Kulturhuset er åpent fra i dag. 1 200 m² med bøker, spill, makerspace, "
            "stillesone og egen avdeling for samisk litteratur. Meråpent alle dager 07–23 med lånekort og PIN.\n\n"
            "Takk til alle som har vært med og gitt innspill underveis ❤️\n"
            "#fjordvik #bibliotek #kulturhuset #lesing"
        ),
        media=[
            media.save(
                library_opening(),
                f"{slug}/aapning-hovedbiblioteket.jpg",
                "media-ig-bibliotek",
                url="https://www.instagram.com/p/DFk2bZsNq7x/media/?size=l",
                alt_text="Fasaden til det nye biblioteket med rødt bånd foran inngangen og mange besøkende",
            )
        ],
        reactions=612,
        url=url,
    )

    def ig(handle: str) -> Author:
        return Author(id=f"ig-{handle}", display_name=handle)

    rows: list[Row] = [
        ("a", ig("marit.strand"), 3, None, 24, "Så fiiint! 😍😍 Gleder meg til å ta med ungene i helga"),
        ("b", ig("fjordvik_historielag"), 9, None, 31, "Gratulerer med nytt bibliotek! Vi kommer gjerne med en "
         "utstilling om «Fjordvik før og nå» 📸"),
        ("b1", bibliotek, 40, "b", 12, "Ja takk! Vi sender dere en melding 🙌"),
        ("c", ig("ande.haetta"), 15, None, 48, "Buorre beaivi! Čáppa ođđa girjerádju! Sáhttágo doppe oažžut "
         "sámegiel girjjiid mánáide? 🙏"),
        ("c1", bibliotek, 52, "c", 27, "Giitu! Juo – vi har over 600 samiskspråklige bøker, og mange av dem er for "
         "barn. Velkommen innom 📖"),
        ("d", ig("kjetil_lunde77"), 21, None, 2, "Hva kostet egentlig dette? 🤔"),
        ("d1", ig("silje.o"), 33, "d", 19, "Står i budsjettet, 94 millioner inkl. Kulturhuset. Verdt hver krone "
         "etter min mening."),
        ("e", ig("nora.ungdomsrad"), 47, None, 15, "Gamingrommet 🎮🔥 endelig et sted å være etter skolen"),
        ("f", ig("agnieszka_nowak"), 66, None, 8, "Do you have books in Polish? Czy macie książki po polsku? 🇵🇱"),
        ("f1", bibliotek, 90, "f", 9, "Yes! We have a small Polish collection, and can order more from the "
         "National Library. Ask at the desk 😊"),
        ("g", ig("per_og_liv"), 130, None, 6, "Husk at ikke alle har smarttelefon. Hvordan får vi meråpent uten "
         "app?"),
        ("g1", bibliotek, 155, "g", 11, "Du trenger bare lånekortet og en PIN-kode, ingen app 👍"),
        ("h", ig("fjordvik_seniorsenter"), 300, None, 13, "Tusen takk for omvisningen i dag! Heisen og "
         "leselampene fikk toppkarakter fra gjengen vår 👵👴"),
        ("i", ig("thihoa.nguyen"), 1200, None, 4, "Var der med familien i dag 👨‍👩‍👧‍👦 ungene ville ikke gå hjem!"),
        ("j", ig("regnbuefjordvik"), 1700, None, 10, "Så fint med egen hylle for skeiv litteratur 🏳️‍🌈 takk!"),
    ]  # fmt: skip
    script(b, start, rows)
    flag = Flag(
        thread_url=url,
        kind=FlagKind.ARCHIVE_WORTHY,
        case_number="2025/2210",
        case_title="Åpning av nytt hovedbibliotek i Kulturhuset",
        flagged_by="bibliotek@fjordvik.kommune.no",
        flagged_at=start + timedelta(days=2),
        note="Dokumenterer åpningen og publikums reaksjoner.",
    )
    return slug, b.build(post), flag


def winter_roads() -> Sample:
    """X: the roads department reports closed roads; its own follow-ups continue the thread."""
    slug = "x-vinterstengte-veger"
    post_id = "1876533901228470281"
    url = f"https://x.com/FjordvikVeg/status/{post_id}"
    account = Account(
        id="FjordvikVeg",
        name="Fjordvik kommune – veg og trafikk",
        url="https://x.com/FjordvikVeg",
        owning_unit="Teknisk etat",
    )
    veg = Author(id="FjordvikVeg", display_name="Fjordvik kommune – veg og trafikk", is_municipality=True)
    b = ThreadBuilder(Platform.X, account, post_id, url, lambda cid, a: f"https://x.com/{a.id}/status/{cid}")
    start = at(2026, 1, 7, 5, 40)
    post = Item(
        id=post_id,
        author=veg,
        created_at=start,
        text=(
            "⚠️ STENGT: Skardvegen mellom Fjordvik og Nordfjordbotn er stengt på grunn av snøskredfare. "
            "Fjellvegen er åpen med kolonnekjøring kl. 07, 10, 13 og 16. Neste vurdering kl. 12. "
            "Følg tråden for oppdateringer 🧵"
        ),
        reactions=87,
        url=url,
    )

    def x(handle: str, name: str) -> Author:
        return Author(id=handle, display_name=name)

    p = [
        x("hakon_bakken", "Håkon Bakken"),
        x("astridsolberg", "Astrid Solberg"),
        x("NordfjordbotnIL", "Nordfjordbotn IL"),
        x("yonas_t", "Yonas Tesfaye"),
        x("liv_eriksen_", "Liv Eriksen"),
        x("gunnar1958", "Gunnar Olsen"),
    ]
    rows: list[Row] = [
        ("u1", veg, 120, None, 34, "07.40: Første kolonne over Fjellvegen gikk som planlagt. Ventetid ca. 20 min. "
         "Husk kjettinger eller gode vinterdekk ❄️"),
        ("a", p[0], 135, None, 6, "@FjordvikVeg Hvorfor blir ikke skolebussen fra Nordfjordbotn prioritert i "
         "kolonnen? Ungene kommer en time for sent."),
        ("a1", veg, 160, "a", 15, "@hakon_bakken Skolebussen kjører først i kolonnen fra kl. 10. Vi har varslet "
         "skolen."),
        ("b", p[1], 190, None, 3, "Helt uforsvarlig at Skardvegen fortsatt ikke har rassikring etter "
         "alle disse årene 😡 #fjordvik"),
        ("c", p[2], 300, None, 8, "Kveldens kamp i hallen er utsatt. Takk til brøytemannskapene som har jobbet "
         "hele natta 🙏"),
        ("u2", veg, 380, None, 41, "12.00: Skredfaren er fortsatt høy. Skardvegen holdes stengt resten av dagen. "
         "Ny vurdering i morgen kl. 06."),
        ("d", p[3], 395, "u2", 1, "Er det mulig å få gå over med hund? Bor rett ved bommen."),
        ("d1", veg, 420, "d", 9, "@yonas_t Nei, vegen er stengt for all ferdsel – også gående. Skredet kan "
         "gå helt ned til vegen."),
        ("e", p[4], 600, "u2", 4, "Bilen min fikk skade på felgen i et hull i Fjellvegen i kolonnen i dag. "
         "Hvor sender jeg krav?"),
        ("e1", veg, 640, "e", 7, "@liv_eriksen_ Send bilder og beskrivelse til postmottak@fjordvik.kommune.no, "
         "merket «Erstatning Fjellvegen». Vi behandler kravet som egen sak."),
        ("u3", veg, 1460, None, 62, "06.20: Skardvegen er ÅPEN igjen 🎉 Det kan være glatt i de øverste "
         "svingene. Takk for tålmodigheten!"),
        ("f", p[5], 1475, "u3", 12, "Takk for god informasjon hele vegen 👍"),
    ]  # fmt: skip
    script(b, start, rows)
    retracted = start + timedelta(minutes=240)
    b.add(
        p[5],
        "Typisk kommunen. Hadde dette vært i sentrum hadde vegen vært åpen for lengst.",
        retracted,
        removal=Removal(
            state="deleted", reason=RemovalReason.DELETED_BY_AUTHOR, removed_at=retracted + timedelta(minutes=15)
        ),
    )
    flag = Flag(
        thread_url=url,
        kind=FlagKind.JOURNAL_REQUIRED,
        case_number="2026/58",
        case_title="Vinterdrift 2025/2026 – henvendelser om stengte veger",
        flagged_by="veg.trafikk@fjordvik.kommune.no",
        flagged_at=start + timedelta(hours=11),
        note="Inneholder varsel om erstatningskrav (Fjellvegen).",
    )
    return slug, b.build(post, title="Skardvegen stengt – oppdateringer om vinterdrift"), flag


def job_posting(media: MediaStore) -> Sample:
    """LinkedIn: job advertisement for an archivist."""
    slug = "linkedin-stilling-radgiver-arkiv"
    activity = "7294410218867302400"
    url = f"https://www.linkedin.com/feed/update/urn:li:activity:{activity}/"
    account = Account(
        id="fjordvik-kommune",
        name="Fjordvik kommune",
        url="https://www.linkedin.com/company/fjordvik-kommune/",
        owning_unit="Personal og organisasjon",
    )
    kommune = Author(id="li-fjordvik-kommune", display_name="Fjordvik kommune", is_municipality=True)
    b = ThreadBuilder(
        Platform.LINKEDIN,
        account,
        activity,
        url,
        lambda cid, _a: f"{url}?commentUrn=urn%3Ali%3Acomment%3A%28activity%3A{activity}%2C{cid}%29",
    )
    start = at(2026, 2, 9, 8, 30)
    post = Item(
        id=activity,
        author=kommune,
        created_at=start,
        text=(
            "Vil du sørge for at Fjordvik kommune husker det viktige? 🗂️\n\n"
            "Vi søker en rådgiver arkiv til Dokumentsenteret. Du blir med på å innføre arkivering av sosiale "
            "medier, videreutvikle sak-/arkivsystemet vårt og veilede kolleger i hele kommunen om "
            "journalføring og Noark 5.\n\n"
            "✔️ Fast 100 % stilling\n✔️ Fleksibel arbeidstid og mulighet for hjemmekontor to dager i uka\n"
            "✔️ Lønn etter avtale, stillingskode 1065 Konsulent / 1434 Rådgiver\n\n"
            "Søknadsfrist 1. mars. Les mer og søk via lenken i kommentarfeltet.\n"
            "#arkiv #offentligsektor #jobb #dokumentasjonsforvaltning"
        ),
        media=[
            media.save(
                job_banner(),
                f"{slug}/banner-radgiver-arkiv.png",
                "media-li-banner",
                alt_text="Banner: Vi søker rådgiver arkiv – fast 100 % stilling, søknadsfrist 1. mars",
            )
        ],
        reactions=138,
        url=url,
    )

    def li(name: str) -> Author:
        return Author(id=f"li-{numeric_id('linkedin', name, digits=9)}", display_name=name)

    p = [li("Hilde Grønli"), li("Eirik Nordahl"), li("Solveig Mikkelsen"), li("Ahmed Ali"), li("Randi Østby")]
    rows: list[Row] = [
        ("a", kommune, 2, None, 4, "Søk her: https://www.jobbnorge.example/fjordvik/radgiver-arkiv-2026"),
        ("b", p[0], 95, None, 18, "Spennende stilling! Deler i nettverket mitt. Dokumentsenteret i Fjordvik er "
         "et av de mest framoverlente jeg har samarbeidet med."),
        ("c", p[1], 180, None, 3, "Er det aktuelt med full fjernarbeid for riktig kandidat?"),
        ("c1", kommune, 260, "c", 5, "Hei Eirik! Stillingen krever at du er til stede i Fjordvik tre dager i uka, "
         "men vi er fleksible i en opplæringsperiode. Ta gjerne kontakt med arkivleder Solveig Mikkelsen."),
        ("c2", p[2], 275, "c1", 7, "Bare ring meg, Eirik – vi tar en prat 📞"),
        ("d", p[3], 1430, None, 9, "Har dere planer om å ta i bruk Noark 5 tjenestegrensesnitt, eller er det "
         "fortsatt uttrekk og import som gjelder?"),
        ("d1", p[2], 1510, "d", 6, "Godt spørsmål! Vi er i gang med å teste det – den nye rådgiveren får "
         "være med og bestemme veien videre."),
        ("e", p[4], 2900, None, 11, "Anbefales! Jobbet der i seks år, fantastisk fagmiljø 👏"),
    ]  # fmt: skip
    script(b, start, rows)
    flag = Flag(
        thread_url=url,
        kind=FlagKind.ARCHIVE_WORTHY,
        case_number="2026/1120",
        case_title="Rekruttering – rådgiver arkiv, Dokumentsenteret",
        flagged_by="personal@fjordvik.kommune.no",
        flagged_at=start + timedelta(days=3),
    )
    return slug, b.build(post, title="Stillingsannonse: rådgiver arkiv"), flag


def council_meeting() -> Sample:
    """YouTube: live stream of a council meeting; viewers comment on the school structure case."""
    slug = "youtube-kommunestyremote-2026-02-12"
    video_id = "q7Rk2fJvW0E"
    url = f"https://www.youtube.com/watch?v={video_id}"
    account = Account(
        id="UC8f3kLkq9vFjordvik0T2a",
        name="Fjordvik kommune",
        url="https://www.youtube.com/@fjordvikkommune",
        owning_unit="Kommunikasjonsavdelingen",
    )
    kanal = Author(id="UC8f3kLkq9vFjordvik0T2a", display_name="@fjordvikkommune", is_municipality=True)
    b = ThreadBuilder(
        Platform.YOUTUBE,
        account,
        video_id,
        url,
        lambda cid, _a: f"{url}&lc=Ugz{hashlib.sha256(cid.encode()).hexdigest()[:22]}",
    )
    start = at(2026, 2, 12, 17, 55)
    post = Item(
        id=video_id,
        author=kanal,
        created_at=start,
        text=(
            "Kommunestyremøte 12. februar 2026 – direkte\n\n"
            "Saksliste:\n"
            "0:04:10 Sak 10/26 Godkjenning av protokoll\n"
            "0:12:45 Sak 11/26 Budsjettjustering 2026\n"
            "0:58:30 Sak 12/26 Ny skolestruktur – høring om Nordbyen skole\n"
            "2:41:00 Sak 13/26 Reguleringsplan for Sentrum – førstegangsbehandling (orientering)\n\n"
            "Sakspapirene finner du på fjordvik.kommune.no/politikk. Kommentarfeltet modereres etter "
            "kommunens retningslinjer."
        ),
        media=[
            Media(
                id=f"yt-{video_id}",
                kind="video",
                url=url,
                mime_type="video/mp4",
                alt_text="Opptak av kommunestyremøtet 12. februar 2026",
            )
        ],
        reactions=57,
        url=url,
    )

    def yt(handle: str) -> Author:
        return Author(id=f"UC{numeric_id('youtube', handle, digits=20)}", display_name=f"@{handle}")

    p = [yt(h) for h in ("bjornhagen", "foreldrenordbyen", "marithaugen3", "jovnnaeira", "kari.dahl", "tor-o")]
    rows: list[Row] = [
        ("a", p[0], 8, None, 3, "Lyden er veldig lav, kan noen skru opp mikrofonen til ordføreren?"),
        ("a1", kanal, 11, "a", 5, "Takk for beskjed – det skal være fikset nå 🎙️"),
        ("b", p[1], 70, None, 64, "1:04:12 – Nordbyen skole er hjertet i bygda vår. 87 elever er ikke «for lite», "
         "det er en skole der alle kjenner alle. Stem NEI til nedleggelse! 🙏"),
        ("b1", p[2], 74, "b", 21, "Enig. Busstid på 50 minutter hver vei for seksåringer er ikke greit."),
        ("b2", p[4], 82, "b", 9, "Men kvaliteten på undervisningen blir bedre på en større skole med flere "
         "lærere. Det må også telle."),
        ("b3", p[1], 90, "b2", 17, "Kvaliteten på Nordbyen er god – se nasjonale prøver. Det handler om penger, "
         "ikke kvalitet."),
        ("c", p[3], 95, None, 22, "Hvordan blir det samiske tilbudet ivaretatt hvis elevene flyttes til sentrum? "
         "I dag har Nordbyen to lærere med samisk."),
        ("c1", kanal, 130, "c", 8, "Hei! Spørsmålet er tatt med i høringen – høringsbrevet ligger under sak 12/26. "
         "Du kan sende innspill til postmottak@fjordvik.kommune.no innen 15. april."),
        ("d", p[5], 140, None, 1, "Hvorfor er møtet så langt? Kan dere ikke bare avgjøre ting på forhånd 😂"),
        ("e", p[0], 160, None, 12, "2:07:30 – godt innlegg fra representanten fra ungdomsrådet 👏"),
        ("f", p[2], 175, None, 6, "Når blir opptaket tilgjengelig med teksting? Hørselshemmede har også rett til "
         "å følge med."),
        ("f1", kanal, 1320, "f", 10, "Automatisk teksting er lagt inn nå, og vi jobber med manuell teksting "
         "innen en uke."),
    ]  # fmt: skip
    script(b, start, rows)
    flag = Flag(
        thread_url=url,
        kind=FlagKind.JOURNAL_REQUIRED,
        case_number="2025/1875",
        case_title="Ny skolestruktur – høring om Nordbyen skole",
        flagged_by=KOMMUNIKASJON,
        flagged_at=start + timedelta(days=1),
        note="Kommentarer om sak 12/26 regnes som innspill til høringen.",
    )
    return slug, b.build(post), flag


def skatepark() -> Sample:
    """TikTok: the youth council asks for input on a new skatepark."""
    slug = "tiktok-ungdomsradet-skatepark"
    video_id = "7465123098844012806"
    url = f"https://www.tiktok.com/@fjordvik.ungdomsrad/video/{video_id}"
    account = Account(
        id="fjordvik.ungdomsrad",
        name="Ungdomsrådet i Fjordvik",
        url="https://www.tiktok.com/@fjordvik.ungdomsrad",
        owning_unit="Oppvekst og kultur",
    )
    rådet = Author(id="tt-fjordvik.ungdomsrad", display_name="Ungdomsrådet i Fjordvik", is_municipality=True)
    b = ThreadBuilder(Platform.TIKTOK, account, video_id, url, lambda _cid, _a: None)
    start = at(2026, 1, 29, 15, 30)
    post = Item(
        id=video_id,
        author=rådet,
        created_at=start,
        text=(
            "SKATEPARK I FJORDVIK?? 🛹🔥 Kommunen har satt av penger, og VI i ungdomsrådet skal gi råd om hvor "
            "og hvordan. Kommenter: 1) hvor skal den ligge 2) bowl eller street 3) hva mer trenger dere? "
            "Alle kommentarer blir sendt videre til kommunen 📩 #fjordvik #skatepark #ungdomsråd"
        ),
        media=[
            Media(
                id=f"tt-{video_id}",
                kind="video",
                url=url,
                mime_type="video/mp4",
                alt_text="Ungdomsrådet presenterer tre mulige plasser for en skatepark",
            )
        ],
        reactions=2304,
        url=url,
    )

    def tt(handle: str) -> Author:
        return Author(id=f"tt-{handle}", display_name=handle)

    p = [
        tt(h)
        for h in (
            "emil.skate", "ida_fjordvik", "sindre08", "marius.bmx", "hannah.lunde", "elle_marja_",
            "jonas.k", "piotr.n", "lea_ms", "oliver.06", "tiril.e", "mammatil3",
        )
    ]  # fmt: skip
    rows: list[Row] = [
        ("a", p[0], 4, None, 412, "FJORDPARKEN 🙌🙌 ved kaia så alle ser oss og ikke bare gjemt bak hallen"),
        ("a1", p[1], 9, "a", 88, "JAAA enig, og da kan man kjøpe is på Kaikiosken etterpå 🍦"),
        ("a2", p[2], 15, "a", 31, "ved kaia blåser det jo 100 m/s hele vinteren 💀"),
        ("a3", p[0], 19, "a2", 54, "tak da 😤 eller i hvert fall le"),
        ("b", p[3], 12, None, 267, "street + bowl!! og plass til bmx også, ikke glem oss 🚲"),
        ("c", p[4], 20, None, 140, "Lys!!! det er mørkt kl 15 halve året"),
        ("c1", rådet, 60, "c", 99, "Lys er notert ✅ det har kommet opp i nesten alle kommentarene"),
        ("d", p[5], 26, None, 77, "Buorre beaivi! Skatepark livččii hui buorre 🔥 og kanskje samisk kunst på "
         "veggene? Muoŧŧá mu lea dáiddár – tanta mi er kunstner 🎨"),
        ("e", p[6], 31, None, 52, "gratis og åpen hele døgnet pls. ingen booking-app"),
        ("f", p[7], 45, None, 18, "Mini ramp for nybegynnere også, ikke bare for proffe 🙏"),
        ("g", p[8], 58, None, 203, "Et sted å sitte som ikke er en kald betongblokk 🪑 og do. DO. DO!!!"),
        ("g1", p[9], 63, "g", 45, "do-saken må til statsministeren 😂😂"),
        ("g2", p[8], 66, "g1", 60, "nei men seriøst, nærmeste do er på Coop 😭"),
        ("h", p[10], 120, None, 35, "ikke ved skolen – da blir det bare de som går der som bruker den"),
        ("i", p[11], 300, None, 81, "Som mamma: fint om det er oversiktlig og nær bussen, så de minste kan "
         "komme seg dit trygt ❤️"),
        ("i1", rådet, 330, "i", 40, "Tusen takk! Vi tar med trygg vei dit 🙌"),
        ("j", p[3], 1500, None, 9, "når skjer det?? 2026 eller 2036 💀"),
        ("j1", rådet, 1530, "j", 121, "Målet er byggestart i 2027! Vi legger fram forslaget i ungdomsrådet 17. "
         "februar, og så går det til kommunestyret 📅"),
        ("k", p[1], 1600, "j1", 25, "🎉🎉🎉"),
    ]  # fmt: skip
    script(b, start, rows)
    flag = Flag(
        thread_url=url,
        kind=FlagKind.JOURNAL_REQUIRED,
        case_number="2026/1187",
        case_title="Skatepark – medvirkning fra ungdom",
        flagged_by="ungdomsradet@fjordvik.kommune.no",
        flagged_at=start + timedelta(days=1),
        note="Innspill fra ungdom til sak om skatepark. Mindreårige: vurder skjerming av navn ved publisering.",
    )
    return slug, b.build(post, title="Ungdomsrådet spør: hvor skal skateparken ligge?"), flag


def main(out: Path = SAMPLES_DIR) -> list[Path]:
    """Write every sample thread, ``flags.json`` and the media under ``out``; return the thread files."""
    media = MediaStore(out / "media")
    samples = [
        consultation(media),
        school_route(media),
        health_vaccination(media),
        library_opening_post(media),
        winter_roads(),
        job_posting(media),
        council_meeting(),
        skatepark(),
    ]
    threads_dir = out / "threads"
    threads_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for stem, thread, _flag in samples:
        path = threads_dir / f"{stem}.json"
        path.write_bytes(capture_bytes(thread))
        written.append(path)
    flags = [flag.model_dump(mode="json") for _stem, _thread, flag in samples]
    (out / "flags.json").write_text(json.dumps(flags, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    stale = [p for p in threads_dir.glob("*.json") if p not in written]
    stale += [p for p in media.root.rglob("*") if p.is_file() and p not in media.written]
    for path in stale:
        path.unlink()
    return written


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SAMPLES_DIR, help="output folder (default: %(default)s)")
    for path in main(parser.parse_args().out):
        print(path)

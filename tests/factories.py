"""Test data builders shared by the test modules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from schemas.thread import Account, Author, Item, Media, Removal, Revision, Thread

T0 = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
KOMMUNE = Author(id="k1", display_name="Fjordvik kommune", is_municipality=True)
INNBYGGER = Author(id="u7", display_name="Åse Ødegård")


def make_thread(**overrides: object) -> Thread:
    post = Item(id="p1", author=KOMMUNE, created_at=T0, text="Høring: ny skolevei – si din mening! 🙏")
    comments = [
        Item(
            id="c1", author=INNBYGGER, created_at=T0 + timedelta(minutes=5), text="Buorre beaivi! áčđŋšŧž", reactions=3
        ),
        Item(
            id="c2",
            parent_id="c1",
            author=KOMMUNE,
            created_at=T0 + timedelta(minutes=9),
            edited_at=T0 + timedelta(minutes=20),
            text="Takk for innspillet 👍",
            revisions=[Revision(text="Takk for innspilet", valid_from=T0 + timedelta(minutes=9))],
        ),
        Item(
            id="c3",
            author=INNBYGGER,
            created_at=T0 + timedelta(minutes=30),
            text="(fjernet tekst)",
            removal=Removal(
                state="deleted",
                reason="personsjikane",
                removed_at=T0 + timedelta(hours=1),
                screenshot=Media(id="s1", kind="screenshot", path="shots/c3.png"),
            ),
        ),
    ]
    fields: dict[str, object] = {
        "platform": "facebook",
        "account": Account(id="fjordvik", name="Fjordvik kommune", owning_unit="Kommunikasjon"),
        "thread_id": "100_200",
        "url": "https://www.facebook.com/fjordvikkommune/posts/200",
        "post": post,
        "comments": comments,
        "captured_at": T0 + timedelta(days=2),
    }
    fields.update(overrides)
    return Thread.model_validate(fields)

"""LinkedIn organization pages (Community Management API): a post's comments and the comments on them.

``GET /rest/socialActions/{urn}/comments`` with ``start``/``count`` paging (the end is a page shorter than
``count``), replies by asking the same for a comment URN. The ``LinkedIn-Version`` header is a setting
(versions are sunset after about a year). An edit shows only as ``lastModified`` later than ``created``.
Auth: a member token of a page administrator with ``r_organization_social`` (newer portals:
``r_organization_social_feed``).

Actors are URNs. Organizations (``urn:li:organization:ID``) get their name from the Organization Lookup
API, one batch call per 50 ids (``GET /rest/organizationsLookup?ids=List(1,2)``, ``results[id].localizedName``);
the account's own organization is named from the registry. Members (``urn:li:person:…``): the API does not
give a page administrator the names of the members who comment, so a member keeps the URN as author id and
gets a stable label (``LinkedIn-medlem`` and 8 hex digits of the URN's SHA-256, the same in every capture);
the capture's observation note says so. A failed name lookup never fails the capture: the names fall back
to labels and the note says why.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from schemas.errors import SourceError
from schemas.refs import ThreadRef
from schemas.thread import Author, Item, Media, Platform
from sources.connectors.base import AccountRef, Capture, NotFoundError, PartialError
from sources.connectors.build import segment
from sources.connectors.common import ConnectorBase, as_int, as_str, as_text, dig, parse_time
from sources.connectors.http import ApiClient, Response, Verdict, error_text

RENEW = "logg inn på nytt som sideadministrator og gi appen r_organization_social (Community Management API)"
ORGANIZATION = "urn:li:organization:"
PERSON = "urn:li:person:"
LOOKUP_BATCH = 50
MAX_NAME = 200


def member_label(urn: str) -> str:
    """A stable, non-identifying label for a member whose name LinkedIn does not give."""
    return f"LinkedIn-medlem {hashlib.sha256(urn.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"


def organization_label(urn: str) -> str:
    return f"LinkedIn-organisasjon {urn.removeprefix(ORGANIZATION)[:60]}"


def _clean_name(value: Any) -> str | None:
    """A looked-up name fit for one line: control characters dropped, at most ``MAX_NAME`` characters."""
    if not isinstance(value, str):
        return None
    text = " ".join("".join(ch for ch in value if ch.isprintable() or ch == " ").split())[:MAX_NAME]
    return text or None


class LinkedInConnector(ConnectorBase):
    platform = Platform.LINKEDIN

    def _classify(self, response: Response) -> Verdict | None:
        if response.status == 200:
            return Verdict("ok")
        if response.status in (401, 403):
            return Verdict("fail", error=self.credentials_error(
                f"LinkedIn avviste nøkkelen (HTTP {response.status}: {error_text(response.data, 200)})"))
        if response.status == 426 or "version" in str(dig(response.data, "code") or "").lower():
            return Verdict("fail", error=SourceError(
                f"LinkedIn, konto {self.account.name}: API-versjonen {self.config.linkedin_version} er ikke aktiv "
                f"– sett SOMEARKIV_LINKEDIN_VERSION til en gjeldende måned ({error_text(response.data, 200)})"))
        if response.status == 404:
            return Verdict("fail", error=NotFoundError(f"LinkedIn, konto {self.account.name}: finnes ikke "
                                                     f"({error_text(response.data, 200)})"))
        return None

    def _client(self) -> ApiClient:
        self.require_credential()
        return self.client(self._classify, headers={"LinkedIn-Version": self.config.linkedin_version,
                                                    "X-Restli-Protocol-Version": "2.0.0"})

    def _elements(self, client: ApiClient, path: str, params: dict[str, str], what: str) -> list[dict[str, Any]]:
        count = min(self.config.page_size, 100)
        start = 0
        found: list[dict[str, Any]] = []
        for _ in range(self.config.max_pages):
            page = client.get_json(path, {**params, "start": str(start), "count": str(count)}, what=what)
            elements = page.get("elements") or []
            if not isinstance(elements, list):
                raise SourceError(f"{what}: 'elements' er ikke en liste")
            found.extend(e for e in elements if isinstance(e, dict))
            total = dig(page, "paging", "total")
            start += count
            if len(elements) < count or (isinstance(total, int) and start >= total):
                return found
        raise SourceError(f"{what}: mer enn {self.config.max_pages} sider; henting stoppet")

    def _comment(self, node: dict[str, Any], errors: list[PartialError], where: str) -> Item | None:
        urn = as_str(node.get("commentUrn") or node.get("$URN"))
        if not urn:
            errors.append(PartialError(where, f"kommentar uten URN hoppet over: {str(node)[:80]}"))
            return None
        try:
            created = parse_time(dig(node, "created", "time"), f"{where}, {urn}")
            modified = dig(node, "lastModified", "time")
            edited = parse_time(modified, where) if modified is not None else None
        except SourceError as exc:
            errors.append(PartialError(where, str(exc)))
            return None
        actor = as_str(node.get("actor")) or "ukjent"
        media = []
        for index, content in enumerate(node.get("content") or []):
            image = dig(content, "entity", "image")
            url = dig(content, "url")
            if isinstance(image, str) or isinstance(url, str):
                media.append(Media(id=f"li-{index}-{as_str(node.get('id')) or 'x'}",
                                   kind="image" if isinstance(image, str) else "link",
                                   url=url if isinstance(url, str) else None,
                                   alt_text=image if isinstance(image, str) else None))
        text = dig(node, "message", "text")
        return Item(
            id=urn,
            parent_id=as_str(node.get("parentComment")) or None,
            author=Author(id=actor, display_name=actor,  # named in _named() once every actor is known
                          is_municipality=actor == f"urn:li:organization:{self.account.id}"),
            created_at=created,
            edited_at=edited if edited is not None and edited > created else None,
            text=text if isinstance(text, str) else "",
            media=media,
            reactions=as_int(dig(node, "likesSummary", "totalLikes")),
        )

    def fetch_thread(self, ref: ThreadRef, *, since: datetime | None = None) -> Capture:
        started = datetime.now(UTC)
        where = self.where(ref)
        urn = segment(ref.post_id, where)
        errors: list[PartialError] = []
        with self._client() as client:
            raw = self.get_post(client, f"/rest/posts/{urn}", {}, ref)
            created = raw.get("publishedAt") or raw.get("createdAt") or dig(raw, "created", "time")
            author = as_str(raw.get("author")) or f"urn:li:organization:{self.account.id}"
            post = Item(
                id=ref.post_id,
                author=Author(id=author, display_name=self.account.name if "organization" in author else author,
                              is_municipality=True),
                created_at=parse_time(created, where),
                text=as_text(raw.get("commentary")),
                url=ref.url or f"https://www.linkedin.com/feed/update/{ref.post_id}/",
            )
            comments: list[Item] = []
            top = self._elements(client, f"/rest/socialActions/{urn}/comments", {}, f"{where}, kommentarer")
            reported = 0
            for node in top:
                item = self._comment(node, errors, where)
                if item is None:
                    continue
                comments.append(item)
                reported += 1
                replies = as_int(dig(node, "commentsSummary", "aggregatedTotalComments")) or as_int(
                    dig(node, "commentsSummary", "totalFirstLevelComments"))
                if replies:
                    reported += replies
                    for reply in self._elements(client, f"/rest/socialActions/{segment(item.id, where)}/comments", {},
                                                f"{where}, svar på {item.id}"):
                        child = self._comment(reply, errors, where)
                        if child is not None:
                            comments.append(child if child.parent_id else child.model_copy(
                                update={"parent_id": item.id}))
            names, note = self._names(client, [post, *comments], where)
            post, comments = self._named(post, names), [self._named(c, names) for c in comments]
            capture = self.finish(ref, post=post, comments=comments, url=post.url or "", started=started,
                                  exchanges=client.exchanges, errors=errors, reported=reported)
        if note is None:
            return capture
        thread = capture.thread
        observations = [o.model_copy(update={"note": note}) if o.source == "api" and o.at == started else o
                        for o in thread.observations]
        return Capture(thread=thread.model_copy(update={"observations": observations}),
                                 exchanges=capture.exchanges, partial_errors=capture.partial_errors)

    def _names(self, client: ApiClient, items: list[Item], where: str) -> tuple[dict[str, str], str | None]:
        """Display names by actor URN, and the capture note on names that could not be had."""
        own = f"{ORGANIZATION}{self.account.id}"
        names: dict[str, str] = {own: self.account.name}
        actors = list(dict.fromkeys(item.author.id for item in items))
        orgs = [a for a in actors if a.startswith(ORGANIZATION) and a != own
                and a.removeprefix(ORGANIZATION).isdigit() and len(a) < 80]
        problems: list[str] = []
        for start in range(0, len(orgs), LOOKUP_BATCH):
            batch = orgs[start:start + LOOKUP_BATCH]
            ids = ",".join(a.removeprefix(ORGANIZATION) for a in batch)
            try:
                data = client.get_json("/rest/organizationsLookup", {"ids": f"List({ids})"},
                                       what=f"{where}, organisasjonsnavn")
            except SourceError as exc:
                problems.append(f"organisasjonsnavn ikke hentet ({str(exc).splitlines()[0][:160]})")
                continue
            results = dig(data, "results")
            for urn in batch:
                name = _clean_name(dig(results, urn.removeprefix(ORGANIZATION), "localizedName"))
                if name is not None:
                    names[urn] = name
            missing = [u for u in batch if u not in names]
            if missing:
                problems.append(f"{len(missing)} organisasjon(er) uten navn i oppslaget")
        members = [a for a in actors if a.startswith(PERSON)]
        parts = []
        if members:
            parts.append(f"{len(members)} LinkedIn-medlem(mer) står med URN og fast etikett (LinkedIn-medlem "
                         "+ 8 tegn): LinkedIn gir ikke sideadministratorer navnet på medlemmer som kommenterer")
        parts += problems
        return names, "; ".join(parts) if parts else None

    @staticmethod
    def _named(item: Item, names: dict[str, str]) -> Item:
        actor = item.author.id
        if actor in names:
            name = names[actor]
        elif actor.startswith(PERSON):
            name = member_label(actor)
        elif actor.startswith(ORGANIZATION):
            name = organization_label(actor)
        else:
            return item
        if name == item.author.display_name:
            return item
        return item.model_copy(update={"author": item.author.model_copy(update={"display_name": name})})

    def list_recent(self, account: AccountRef, since: datetime) -> list[ThreadRef]:
        where = f"LinkedIn, organisasjon {account.name} ({account.platform_id})"
        with self._client() as client:
            posts = self._elements(client, "/rest/posts", {"q": "author", "author": f"urn:li:organization:"
                                   f"{account.platform_id}", "sortBy": "CREATED"}, where)
        refs: list[ThreadRef] = []
        for node in posts:
            post_id = as_str(node.get("id"))
            created = node.get("publishedAt") or node.get("createdAt")
            if post_id and created is not None and parse_time(created, where) >= since:
                refs.append(ThreadRef(Platform.LINKEDIN, post_id, account.platform_id,
                                      f"https://www.linkedin.com/feed/update/{post_id}/"))
        return refs

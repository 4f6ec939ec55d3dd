"""Hiding and deleting a comment through the platform's own API (after the evidence is kept: see
``pipeline.moderation``).

- Facebook: hide ``POST /{comment-id}?is_hidden=true``; delete ``DELETE /{comment-id}``.
- Instagram: hide ``POST /{comment-id}?hide=true``; delete ``DELETE /{comment-id}``.
- YouTube: hide ``POST comments/setModerationStatus`` with ``moderationStatus=heldForReview``; delete
  ``comments.delete`` for the channel's own comments, ``moderationStatus=rejected`` for others'.
- X: hide ``PUT /2/tweets/{id}/hidden`` ``{"hidden": true}`` (replies to the account's posts); others'
  replies can't be deleted (own posts: ``DELETE /2/tweets/{id}``).

LinkedIn and TikTok are refused: somearkiv does not moderate there (the editor uses the platform's app).
Each call is made once (no automatic retry: a repeated delete after a lost answer would report a failure
for a comment that is gone); every exchange is recorded with secrets removed, like a capture's.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import httpx

from schemas.errors import CredentialsError, InputError, SourceError
from schemas.thread import PLATFORM_LABELS, Account, Platform
from sources.connectors.base import Exchange, NotFoundError
from sources.connectors.build import segment
from sources.connectors.config import Credential, SourcesConfig
from sources.connectors.graph import graph_classifier
from sources.connectors.http import (
    KEPT_HEADERS,
    KEPT_REQUEST_HEADERS,
    ApiClient,
    Classifier,
    Response,
    Verdict,
    error_text,
    redact_body,
)

Action = Literal["hide", "delete"]
MODERATED_PLATFORMS = frozenset({Platform.FACEBOOK, Platform.INSTAGRAM, Platform.YOUTUBE, Platform.X})
SCOPES: dict[Platform, str] = {
    Platform.FACEBOOK: "pages_manage_engagement",
    Platform.INSTAGRAM: "instagram_manage_comments",
    Platform.YOUTUBE: "https://www.googleapis.com/auth/youtube.force-ssl",
    Platform.X: "tweet.moderate.write",
}
MAX_ANSWER_BYTES = 1 << 20


class ModerationRefusedError(InputError):
    """The platform or the action can't be moderated through its API (nothing was sent)."""


@dataclass(frozen=True)
class ModerationCall:
    """What the platform was asked and answered (the exchanges are evidence)."""

    platform: Platform
    comment_id: str
    action: Action
    request: str  # e.g. "POST /v25.0/123_456?is_hidden=true"
    exchanges: list[Exchange] = field(default_factory=list)


def check_moderation(platform: Platform, action: Action, credential: Credential | None, *,
                     own_comment: bool = False) -> None:
    """Refuse, before any request, what can't be done: the platform, the action or the credential."""
    label = PLATFORM_LABELS[platform]
    if platform not in MODERATED_PLATFORMS:
        raise ModerationRefusedError(
            f"{label}: somearkiv kan ikke skjule eller slette kommentarer der (plattformens API gir ikke den "
            f"muligheten for kommunens konto); gjør det i {label}-appen, og ingenting er endret")
    if action not in ("hide", "delete"):
        raise ModerationRefusedError(f"ukjent handling {action!r}: bruk hide eller delete")
    if platform is Platform.X and action == "delete" and not own_comment:
        raise ModerationRefusedError("X: andres svar kan ikke slettes gjennom API-et, bare skjules; bruk --action hide")
    if credential is None:
        raise CredentialsError(f"{label}: mangler tilgangsnøkkel for moderering")
    if platform is Platform.YOUTUBE and credential.kind == "api_key":
        raise CredentialsError("YouTube: en API-nøkkel kan bare lese; moderering krever kanaleierens OAuth-nøkkel "
                               "(youtube.force-ssl)")
    needed = SCOPES[platform]
    if credential.scopes and needed not in credential.scopes:
        raise CredentialsError(f"{label}, konto {credential.account}: nøkkelen mangler tillatelsen {needed} som "
                               "trengs for å skjule og slette kommentarer")


class _ActionClient(ApiClient):
    """The shared client, for one non-GET request, sent once."""

    def call(self, method: str, path: str, *, params: dict[str, str] | None = None, body: Any = None,
             what: str) -> Any:
        query = dict(params or {})  # the token (``token_param``) is added on the wire: QueryTokenTransport
        secrets = [self.credential.token.get_secret_value()] if self.credential else []
        content = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if content is not None else None
        request = self._client.build_request(method, self.base_url + path, params=query, content=content,
                                             headers=headers)
        recorded_url = self.recorded_url(request)
        request_headers = {k: v for k, v in request.headers.items() if k.lower() in KEPT_REQUEST_HEADERS}
        started = datetime.now(UTC)
        t0 = time.monotonic()
        try:
            raw = self._client.send(request, stream=True)
            try:
                chunks: list[bytes] = []
                size = 0
                for chunk in raw.iter_bytes():
                    size += len(chunk)
                    if size > MAX_ANSWER_BYTES:
                        raise SourceError(f"{self._where(what)}: svaret er større enn {MAX_ANSWER_BYTES} byte")
                    chunks.append(chunk)
            finally:
                raw.close()
        except httpx.TransportError as exc:
            self.exchanges.append(Exchange(method, recorded_url, started, 0, {}, b"", request_headers,
                                           int((time.monotonic() - t0) * 1000),
                                           note=f"nettverksfeil: {type(exc).__name__}"))
            raise SourceError(f"{self._where(what)}: nettverksfeil ({type(exc).__name__}); det er uvisst om "
                              "plattformen utførte handlingen – sjekk kommentaren og prøv igjen") from exc
        answer = b"".join(chunks)
        kept = {k.lower(): v for k, v in raw.headers.items() if k.lower() in KEPT_HEADERS}
        self.exchanges.append(Exchange(method, recorded_url, started, raw.status_code, kept,
                                       redact_body(answer, secrets), request_headers,
                                       int((time.monotonic() - t0) * 1000)))
        try:
            data = json.loads(answer) if answer.strip() else None
        except (ValueError, RecursionError):
            data = None
        verdict = self.classifier(Response(raw.status_code, raw.headers, data, recorded_url))
        if verdict is None:
            ok = 200 <= raw.status_code < 300
            verdict = Verdict("ok") if ok else Verdict("fail", reason=f"HTTP {raw.status_code}")
        if verdict.kind == "ok" and 200 <= raw.status_code < 300:
            return data
        error = verdict.error or SourceError(
            f"{self._where(what)}: plattformen avviste handlingen (HTTP {raw.status_code}"
            f"{': ' + verdict.reason if verdict.reason else ''}; {error_text(data, 200)})")
        raise self._scrubbed(error, what)


def _plain_classifier(label: str, platform: Platform) -> Classifier:
    def classify(response: Response) -> Verdict | None:
        if 200 <= response.status < 300:
            return Verdict("ok")
        detail = error_text(response.data, 200)
        if response.status in (401, 403):
            return Verdict("fail", error=CredentialsError(
                f"{label}: plattformen avviste nøkkelen eller tillatelsen (HTTP {response.status}: {detail}) – "
                f"nøkkelen trenger {SCOPES[platform]}"))
        if response.status == 404:
            return Verdict("fail", error=NotFoundError(f"{label}: kommentaren finnes ikke (lenger) ({detail})"))
        return Verdict("fail", error=SourceError(f"{label}: plattformen avviste handlingen (HTTP {response.status}: "
                                                 f"{detail})"))
    return classify


def moderate_comment(config: SourcesConfig, credential: Credential, account: Account, platform: Platform,
                     comment_id: str, action: Action, *, own_comment: bool = False) -> ModerationCall:
    """Hide or delete ``comment_id`` on ``platform``; raises SourceError (or a subclass) when it was not done.

    The returned call carries the recorded exchanges; on an error they are on the exception's
    ``exchanges`` attribute (set here) so the caller can keep them as evidence too.
    """
    check_moderation(platform, action, credential, own_comment=own_comment)
    label = f"{PLATFORM_LABELS[platform]}, konto {account.name}"
    where = f"{label}, kommentar {comment_id}"
    seg = segment(comment_id, where)
    graph = platform in (Platform.FACEBOOK, Platform.INSTAGRAM)
    classifier = graph_classifier(lambda: label, "gi nøkkelen tillatelsen " + SCOPES[platform]) if graph \
        else _plain_classifier(label, platform)
    client = _ActionClient(
        platform_label=label, base_url=config.base_url(platform), credential=credential, classifier=classifier,
        retry=config.retry, timeout_s=config.timeout_s,
        token_param="access_token" if graph else None,
        token_header=None if graph else ("Authorization", "Bearer {token}"),
    )
    with client:
        try:
            request = _send(client, platform, seg, comment_id, action, own_comment, config.graph_version, where)
        except SourceError as exc:
            exc.exchanges = list(client.exchanges)  # type: ignore[attr-defined]
            raise
        return ModerationCall(platform, comment_id, action, request, list(client.exchanges))


def _send(client: _ActionClient, platform: Platform, seg: str, comment_id: str, action: Action, own: bool,
          version: str, where: str) -> str:
    if platform in (Platform.FACEBOOK, Platform.INSTAGRAM):
        path = f"/{version}/{seg}"
        if action == "delete":
            data = client.call("DELETE", path, what=where)
            request = f"DELETE {path}"
        else:
            flag = {"is_hidden": "true"} if platform is Platform.FACEBOOK else {"hide": "true"}
            data = client.call("POST", path, params=flag, what=where)
            request = f"POST {path}?{next(iter(flag))}=true"
        if not (isinstance(data, dict) and data.get("success") is True):
            raise SourceError(f"{where}: plattformen svarte uten «success: true» ({error_text(data, 200)})")
        return request
    if platform is Platform.YOUTUBE:
        if action == "delete" and own:
            client.call("DELETE", "/youtube/v3/comments", params={"id": comment_id}, what=where)
            return "DELETE /youtube/v3/comments"
        status = "rejected" if action == "delete" else "heldForReview"
        client.call("POST", "/youtube/v3/comments/setModerationStatus",
                    params={"id": comment_id, "moderationStatus": status}, what=where)
        return f"POST /youtube/v3/comments/setModerationStatus moderationStatus={status}"
    if action == "delete":  # X, own post only (check_moderation refused the rest)
        data = client.call("DELETE", f"/2/tweets/{seg}", what=where)
        if dig_bool(data, "data", "deleted") is not True:
            raise SourceError(f"{where}: X bekreftet ikke slettingen ({error_text(data, 200)})")
        return f"DELETE /2/tweets/{seg}"
    data = client.call("PUT", f"/2/tweets/{seg}/hidden", body={"hidden": True}, what=where)
    if dig_bool(data, "data", "hidden") is not True:
        raise SourceError(f"{where}: X bekreftet ikke at svaret er skjult ({error_text(data, 200)})")
    return f"PUT /2/tweets/{seg}/hidden"


def dig_bool(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def x_conversation_of(config: SourcesConfig, credential: Credential, account: Account, tweet_id: str) -> str:
    """The conversation (root post) id of an X post, read before anything is changed."""
    label = f"X, konto {account.name}"
    where = f"{label}, post {tweet_id}"
    client = ApiClient(platform_label=label, base_url=config.base_url(Platform.X), credential=credential,
                       classifier=_plain_classifier(label, Platform.X), retry=config.retry, timeout_s=config.timeout_s)
    with client:
        data = client.get_json(f"/2/tweets/{segment(tweet_id, where)}", {"tweet.fields": "conversation_id,author_id"},
                               what=where)
    conversation = dig_bool(data, "data", "conversation_id")
    if not isinstance(conversation, str) or not conversation.isdigit():
        raise NotFoundError(f"{where}: posten finnes ikke eller har ingen samtale ({error_text(data, 200)})")
    return conversation

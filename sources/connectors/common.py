"""Small helpers the connectors share: time parsing, the connector base, completeness."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from schemas.errors import SourceError
from schemas.refs import ThreadRef
from schemas.thread import PLATFORM_LABELS, Account, Completeness, Gap, Item, Observation, Platform, Thread
from sources.connectors.base import Capture, Exchange, NotFoundError, PartialError, ThreadGoneError
from sources.connectors.build import conversation_order
from sources.connectors.config import Credential, SourcesConfig
from sources.connectors.http import ApiClient, Classifier


def parse_time(value: Any, where: str) -> datetime:
    """ISO 8601 (``+0000`` or ``Z``), Unix seconds or milliseconds → an aware UTC datetime."""
    try:
        if isinstance(value, bool):
            raise ValueError(value)
        if isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit()):
            number = float(value)
            if number > 10**11:  # milliseconds
                number /= 1000
            return datetime.fromtimestamp(number, UTC)
        if isinstance(value, str):
            text = value.strip().replace("Z", "+00:00")
            if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
                text = text[:-2] + ":" + text[-2:]
            parsed = datetime.fromisoformat(text)
            if parsed.tzinfo is None:
                raise ValueError("no time zone")
            return parsed.astimezone(UTC)
    except (ValueError, OverflowError, OSError):
        pass
    raise SourceError(f"{where}: ugyldig tidspunkt {str(value)[:60]!r}")


def as_str(value: Any) -> str:
    """An id as a string; numbers (TikTok, X) never pass through float."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return ""


def as_text(value: Any) -> str:
    """A text field, or "" when the platform sent something else."""
    return value if isinstance(value, str) else ""


def as_int(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return max(0, value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return 0


def dig(data: Any, *path: str) -> Any:
    """``data[a][b]…`` or None when any step is missing or not an object."""
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


class ConnectorBase:
    """State shared by the six connectors: config, credential, the account the threads belong to."""

    platform: Platform

    def __init__(self, config: SourcesConfig, credential: Credential | None, account: Account) -> None:
        self.config = config
        self.credential = credential
        self.account = account

    @property
    def label(self) -> str:
        return PLATFORM_LABELS[self.platform]

    def where(self, ref: ThreadRef) -> str:
        return f"{self.label}, konto {self.account.name} ({self.account.id}), tråd {ref.post_id}"

    def require_credential(self, needed_scopes: frozenset[str] = frozenset()) -> Credential:
        if self.credential is None:
            raise self.credentials_error("mangler tilgangsnøkkel")
        missing = needed_scopes - self.credential.scopes if self.credential.scopes else frozenset()
        if missing:
            raise self.credentials_error(f"nøkkelen mangler tillatelsen {', '.join(sorted(missing))}")
        return self.credential

    def credentials_error(self, detail: str) -> SourceError:
        from schemas.errors import CredentialsError

        hint = (self.credential.renew_hint if self.credential else "") or "forny tilgangsnøkkelen i kontoregisteret"
        return CredentialsError(f"{self.label}, konto {self.account.name} ({self.account.id}): {detail} – {hint}")

    def client(self, classifier: Classifier, **kwargs: Any) -> ApiClient:
        return ApiClient(
            platform_label=f"{self.label}, konto {self.account.name}",
            base_url=self.config.base_url(self.platform),
            credential=self.credential,
            classifier=classifier,
            retry=self.config.retry,
            timeout_s=self.config.timeout_s,
            **kwargs,
        )

    def get_post(self, client: ApiClient, path: str, params: dict[str, str], ref: ThreadRef) -> Any:
        """The post request: a not-found answer means the whole thread is gone."""
        try:
            return client.get_json(path, params, what=f"{self.where(ref)}, innlegget")
        except NotFoundError as exc:
            raise ThreadGoneError(str(exc)) from exc

    def finish(
        self,
        ref: ThreadRef,
        *,
        post: Item,
        comments: list[Item],
        url: str,
        started: datetime,
        exchanges: list[Exchange],
        errors: list[PartialError],
        reported: int | None,
        gaps: list[Gap] | None = None,
    ) -> Capture:
        """The canonical thread in conversation order, with completeness and this fetch as an observation."""
        where = self.where(ref)
        ordered = conversation_order(comments, errors, where)
        ordered = [c for c in ordered if c.id != post.id]
        gaps = list(gaps or [])
        if reported is not None and reported > len(ordered) and not any(g.reason == "api_limit" for g in gaps):
            gaps.append(
                Gap(reason="unknown", count=reported - len(ordered),
                    note="plattformen teller også kommentarer den ikke viser (slettede, private, begrensede)")
            )
        if errors:
            gaps.append(Gap(reason="unknown", note=f"{len(errors)} delvise feil i svarene; se bevisfilen"))
        thread = Thread(
            platform=self.platform,
            account=self.account,
            thread_id=ref.post_id,
            url=url,
            post=post,
            comments=ordered,
            captured_at=started,
            source="api",
            completeness=Completeness(reported=reported, captured=len(ordered), gaps=gaps),
            observations=[Observation(at=started, source="api", comments_seen=len(ordered))],
        )
        return Capture(thread=thread, exchanges=exchanges, partial_errors=errors)

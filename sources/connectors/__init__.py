"""One connector per platform behind one small interface (:class:`sources.connectors.base.Connector`)."""

from __future__ import annotations

from schemas.thread import Account, Platform
from sources.connectors.base import AccountRef, Capture, Connector, Exchange, PartialError
from sources.connectors.common import ConnectorBase
from sources.connectors.config import Credential, RetryPolicy, SourcesConfig
from sources.connectors.facebook import FacebookConnector
from sources.connectors.instagram import InstagramConnector
from sources.connectors.linkedin import LinkedInConnector
from sources.connectors.tiktok import TikTokConnector
from sources.connectors.x import XConnector
from sources.connectors.youtube import YouTubeConnector

CONNECTORS: dict[Platform, type[ConnectorBase]] = {
    Platform.FACEBOOK: FacebookConnector,
    Platform.INSTAGRAM: InstagramConnector,
    Platform.X: XConnector,
    Platform.YOUTUBE: YouTubeConnector,
    Platform.LINKEDIN: LinkedInConnector,
    Platform.TIKTOK: TikTokConnector,
}


def connector_for(config: SourcesConfig, credential: Credential | None, account: Account,
                  platform: Platform) -> Connector:
    """The connector of ``platform`` for one account."""
    connector: Connector = CONNECTORS[platform](config, credential, account)  # type: ignore[assignment]
    return connector


__all__ = ["CONNECTORS", "AccountRef", "Capture", "Connector", "Credential", "Exchange", "PartialError",
           "RetryPolicy", "SourcesConfig", "connector_for"]

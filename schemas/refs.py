"""A reference to one thread on a platform: what an editor's pasted URL parses into, and what a connector fetches."""

from __future__ import annotations

from dataclasses import dataclass

from schemas.package import thread_key
from schemas.thread import Platform


@dataclass(frozen=True, slots=True)
class ThreadRef:
    """One thread (a post, video, tweet …) on one platform.

    ``post_id`` is the id the platform's API wants for the post (e.g. ``{page-id}_{post-id}`` on Facebook, a
    media id on Instagram, a tweet id on X, a video id on YouTube and TikTok, a share/ugcPost/activity URN on
    LinkedIn). ``account`` is the page, channel or user handle or id when the URL carries it. ``url`` is
    the URL as the editor pasted it, when the reference came from one.
    """

    platform: Platform
    post_id: str
    account: str | None = None
    url: str | None = None

    @property
    def key(self) -> str:
        """``<platform>-<post id>`` with the post id made safe as in ``schemas.package.thread_key``."""
        return thread_key(self.platform, self.post_id)

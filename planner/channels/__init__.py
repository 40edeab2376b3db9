"""Channels: one small interface (base.py) and an explicit registry of channel codes.

Channels are pure: no Flask, no SQLAlchemy, no planner.models/db; HTTP uses the standard
library only (`transport.py`). The dispatcher and views call them through `get_channel`.

How to add a channel
--------------------
1. Write one module here, e.g. ``planner/channels/telegram.py``, with a subclass of
   ``base.Channel`` setting ``code``, ``label`` (Vietnamese) and ``kind`` (one of
   ``base.KINDS``) and implementing ``validate`` (Vietnamese problems for the medium),
   ``render`` (the deliverable text) and, for ``kind == "online"``, ``deliver`` (publish
   and return a ``Receipt``; raise ``ChannelError`` when the platform definitely did not
   accept, ``RateLimited`` when it asked to slow down (the target then waits), ``OutcomeUnknown``
   when it may have accepted — that one is never retried blindly). Put ``marker.with_marker(text,
   reference)`` in what you publish and implement ``find_posts`` (list the target's recent posts,
   match markers with ``base.match_listing``) so unknown outcomes reconcile themselves; without it
   a person reconciles them. Social posts render with ``post_text`` (the editor previews it).
2. Add one line to ``CHANNEL_LABELS`` and one line to ``REGISTRY`` below.
3. Document it in the README's channel section (settings it reads, what the receipt holds).
The contract test in ``tests/unit/test_channels.py`` then runs over the new channel too; an
online channel also needs an endpoint in ``planner/fake_platforms.py`` for that test.
"""
from __future__ import annotations

from planner.channels.base import (  # re-exported: the interface in one import
    KINDS, Channel, ChannelError, ChannelSettings, ContentItem, OutcomeUnknown, PostImage, RateLimited, Receipt,
    TargetInfo, content_item, post_text,
)
from planner.channels.fanpage import FanpageChannel
from planner.channels.loudspeaker import LoudspeakerChannel
from planner.channels.portal import PortalChannel
from planner.channels.print_media import PrintChannel
from planner.channels.zalo import ZaloChannel

# Code → Vietnamese label. Every channel planner knows; the registry below maps codes to adapters.
CHANNEL_LABELS: dict[str, str] = {
    "loudspeaker": "Loa truyền thanh",
    "fanpage": "Fanpage Facebook",
    "zalo": "Zalo OA",
    "portal": "Cổng thông tin điện tử",
    "leaflet": "Tờ rơi",
    "banner": "Băng rôn",
    "poster": "Áp phích",
}


# Code → adapter. Explicit on purpose: what planner can deliver to is readable in one place.
REGISTRY: dict[str, Channel] = {
    "loudspeaker": LoudspeakerChannel(),
    "fanpage": FanpageChannel(),
    "zalo": ZaloChannel(),
    "portal": PortalChannel(),
    "leaflet": PrintChannel("leaflet", CHANNEL_LABELS["leaflet"]),
    "banner": PrintChannel("banner", CHANNEL_LABELS["banner"], max_chars=120, upper=True),
    "poster": PrintChannel("poster", CHANNEL_LABELS["poster"]),
}


def get_channel(code: str) -> Channel:
    """The adapter for `code`; ValueError (Vietnamese message) for an unknown code."""
    try:
        return REGISTRY[code]
    except KeyError:
        raise ValueError(f"Kênh '{code}' không được hỗ trợ") from None


__all__ = [
    "CHANNEL_LABELS", "KINDS", "REGISTRY", "Channel", "ChannelError", "ChannelSettings",
    "ContentItem", "OutcomeUnknown", "PostImage", "RateLimited", "Receipt", "TargetInfo", "content_item", "get_channel", "post_text",
]

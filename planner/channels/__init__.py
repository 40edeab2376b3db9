"""Channels: one small interface (base.py) and an explicit registry of channel codes."""
from __future__ import annotations

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

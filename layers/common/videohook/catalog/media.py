"""Where a URL-valued parameter may point: an https URL with a host, or a base64 ``data:`` URI
whose media type is of the kind the field carries (an image for ``image_url``, and so on)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum
from urllib.parse import urlsplit

# The catalog's own schema keyword on URL-valued strings: the media kinds they may carry.
MEDIA_KEYWORD = "x-media"
MAX_URL_CHARS = 2048
DATA_URI = re.compile(r"data:([A-Za-z]+)/([A-Za-z0-9.+-]+);base64,[A-Za-z0-9+/]+={0,2}")
# Frames must be raster images: an SVG is a document (it can carry script), not a frame.
IMAGE_SUBTYPES = frozenset({"png", "jpeg", "jpg", "webp", "gif", "bmp"})
# A URL with these in it is not one a client meant; urlsplit would quietly drop some of them.
UNSAFE_URL_CHARS = re.compile(r"[\s\x00-\x1f\x7f]")


class MediaKind(StrEnum):
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"


def _describe(kinds: Sequence[str]) -> str:
    return " or ".join(f"data:{kind}/..." for kind in kinds)


def media_problem(value: str, kinds: Sequence[str]) -> str | None:
    """Why ``value`` cannot stand for media of one of ``kinds``, or None when it can."""
    if value.startswith("data:"):
        match = DATA_URI.fullmatch(value)
        if match is None:
            return f"must be a base64 data URI ({_describe(kinds)};base64,...)"
        kind, subtype = match[1].lower(), match[2].lower()
        if kind not in kinds:
            return f"must be {' or '.join(kinds)} data ({_describe(kinds)}), not {kind}"
        if kind == MediaKind.IMAGE and subtype not in IMAGE_SUBTYPES:
            return f"must be a {', '.join(sorted(IMAGE_SUBTYPES))} image, not {subtype}"
        return None
    if len(value) > MAX_URL_CHARS:
        return f"must be at most {MAX_URL_CHARS} characters"
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises on a malformed port
    except ValueError:
        parts = None
    if parts is None or parts.scheme != "https" or not parts.hostname or UNSAFE_URL_CHARS.search(value):
        return f"must be an https URL or a data URI ({_describe(kinds)};base64,...)"
    return None

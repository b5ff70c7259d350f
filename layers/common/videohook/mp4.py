"""Reads an MP4's duration from its header (ISO BMFF boxes) through ranged reads, without
fetching the media: top-level box headers are walked until ``moov``, which is read alone
and searched for its ``mvhd`` (timescale and duration)."""

from __future__ import annotations

import struct
from collections.abc import Callable

# ``moov`` holds the sample tables: a few MB for hours of video. Past this, it is not an MP4
# this service produced.
MAX_MOOV_BYTES = 32 * 1024 * 1024
HEADER_BYTES = 16  # size, type and, when size == 1, a 64-bit size


class NotAnMp4(ValueError):
    """The bytes do not hold an MP4 header this reader understands."""


RangeReader = Callable[[int, int], bytes]  # (offset, length) -> at most length bytes


def duration_seconds(read: RangeReader, size: int) -> float:
    offset = 0
    while offset + 8 <= size:
        box_size, box_type, header = _box_header(read(offset, HEADER_BYTES), size - offset)
        if box_type == b"moov":
            if box_size > MAX_MOOV_BYTES:
                raise NotAnMp4(f"moov box of {box_size} bytes")
            return _mvhd_duration(read(offset + header, box_size - header))
        offset += box_size
    raise NotAnMp4("no moov box")


def _box_header(data: bytes, remaining: int) -> tuple[int, bytes, int]:
    if len(data) < 8:
        raise NotAnMp4("truncated box header")
    box_size, box_type = struct.unpack(">I4s", data[:8])
    header = 8
    if box_size == 1:
        if len(data) < 16:
            raise NotAnMp4("truncated 64-bit box size")
        (box_size,) = struct.unpack(">Q", data[8:16])
        header = 16
    elif box_size == 0:  # the box runs to the end of the file
        box_size = remaining
    if box_size < header:
        raise NotAnMp4(f"box {box_type!r} of {box_size} bytes")
    return box_size, box_type, header


def _mvhd_duration(moov: bytes) -> float:
    offset = 0
    while offset + 8 <= len(moov):
        box_size, box_type, header = _box_header(moov[offset : offset + HEADER_BYTES], len(moov) - offset)
        if box_type == b"mvhd":
            body = moov[offset + header : offset + box_size]
            if body[:1] == b"\x01":
                timescale, duration = struct.unpack(">IQ", body[20:32])
            else:
                timescale, duration = struct.unpack(">II", body[12:20])
            if timescale == 0:
                raise NotAnMp4("mvhd with a zero timescale")
            return duration / timescale
        offset += box_size
    raise NotAnMp4("no mvhd box in moov")

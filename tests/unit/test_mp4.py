"""The MP4 header reader: duration from ``moov/mvhd`` through ranged reads only."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from videohook.mp4 import NotAnMp4, duration_seconds

SAMPLE = Path(__file__).resolve().parents[2] / "local" / "assets" / "sample.mp4"


def box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(body), kind) + body


def mvhd(timescale: int, duration: int, *, version: int = 0) -> bytes:
    if version == 1:
        return box(
            b"mvhd", bytes([1, 0, 0, 0]) + bytes(16) + struct.pack(">IQ", timescale, duration) + bytes(80)
        )
    return box(b"mvhd", bytes(4) + bytes(8) + struct.pack(">II", timescale, duration) + bytes(80))


class Reads:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.ranges: list[tuple[int, int]] = []

    def __call__(self, offset: int, length: int) -> bytes:
        self.ranges.append((offset, length))
        return self.data[offset : offset + length]


def test_the_sample_video_lasts_two_seconds():
    data = SAMPLE.read_bytes()

    assert duration_seconds(Reads(data), len(data)) == pytest.approx(2.0)


def test_a_moov_after_the_media_is_found_without_reading_the_media():
    media = box(b"mdat", bytes(1_000_000))
    data = box(b"ftyp", b"isom") + media + box(b"moov", mvhd(600, 4500))
    reads = Reads(data)

    assert duration_seconds(reads, len(data)) == 7.5
    assert sum(length for _, length in reads.ranges) < 200


def test_64_bit_sizes_and_version_1_headers_are_read():
    large_mdat = struct.pack(">I4sQ", 1, b"mdat", 16 + 32) + bytes(32)
    data = box(b"ftyp", b"isom") + large_mdat + box(b"moov", mvhd(1000, 12_345, version=1))

    assert duration_seconds(Reads(data), len(data)) == pytest.approx(12.345)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not an mp4 at all",
        box(b"ftyp", b"isom") + box(b"moov", box(b"trak", b"")),
        struct.pack(">I4s", 3, b"ftyp"),
    ],
)
def test_anything_else_is_refused(data: bytes):
    with pytest.raises(NotAnMp4):
        duration_seconds(Reads(data), len(data))

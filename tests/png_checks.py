"""Checks that a demo's figure is a real, readable and small PNG (shared by the demo tests)."""

from __future__ import annotations

import struct
from pathlib import Path

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_BYTES = 300_000


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the IHDR chunk; fails unless the file really is a PNG."""
    head = Path(path).read_bytes()[:24]
    assert head[:8] == PNG_MAGIC, f"{path} is not a PNG"
    assert head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


def assert_readable_png(path: Path, home: Path) -> None:
    path = Path(path)
    assert path.is_relative_to(home), f"{path} was written outside the data home {home}"
    width, height = png_size(path)
    assert width >= 300 and height >= 300, f"{path} is too small to read: {width}x{height}"
    assert path.stat().st_size < MAX_BYTES, f"{path} is {path.stat().st_size} bytes"

"""Pack files on their own: appends, rotation, writers sharing a directory."""

from __future__ import annotations

import hashlib
from pathlib import Path

from gridwatch_central.snapshots.packs import PackWriter, read_span


def _append(writer: PackWriter, data: bytes) -> tuple[str, int]:
    stored = writer.append(hashlib.sha256(data).hexdigest(), data)
    assert stored.length == len(data)
    return stored.pack, stored.offset


def test_images_are_appended_one_after_another(tmp_path: Path) -> None:
    writer = PackWriter(tmp_path, max_pack_bytes=1 << 20)
    first, second = b"first image", b"second, longer image"
    (pack, offset_1), (same_pack, offset_2) = _append(writer, first), _append(writer, second)
    writer.sync()
    assert pack == same_pack == writer.current_pack
    assert (offset_1, offset_2) == (0, len(first))
    assert (tmp_path / pack).read_bytes() == first + second
    assert read_span(tmp_path / pack, offset_2, len(second)) == second
    writer.close()


def test_a_full_pack_is_retired_and_a_new_one_begun(tmp_path: Path) -> None:
    writer = PackWriter(tmp_path, max_pack_bytes=10)
    first_pack, _ = _append(writer, b"12345678")
    second_pack, offset = _append(writer, b"abcdef")  # 8 + 6 > 10
    writer.sync()
    writer.close()
    assert first_pack != second_pack
    assert offset == 0
    assert (tmp_path / first_pack).read_bytes() == b"12345678"
    assert (tmp_path / second_pack).read_bytes() == b"abcdef"


def test_two_writers_in_one_directory_never_share_a_pack(tmp_path: Path) -> None:
    one, other = PackWriter(tmp_path, 1 << 20), PackWriter(tmp_path, 1 << 20)
    pack_1, _ = _append(one, b"from one")
    pack_2, _ = _append(other, b"from the other")
    one.sync()
    other.sync()
    assert pack_1 != pack_2
    assert (tmp_path / pack_1).read_bytes() == b"from one"
    assert (tmp_path / pack_2).read_bytes() == b"from the other"
    one.close()
    other.close()


def test_a_missing_pack_or_a_short_span_reads_as_nothing(tmp_path: Path) -> None:
    assert read_span(tmp_path / "gone.pack", 0, 4) is None
    (tmp_path / "short.pack").write_bytes(b"abc")
    assert read_span(tmp_path / "short.pack", 1, 4) is None

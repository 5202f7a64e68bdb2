"""The relay, its peers and the encoded clips, as the media tests have them; a tiny real disk."""

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.media.conftest import clients, h264_clip, opus_packets, relay, vp8_clip

__all__ = ["clients", "h264_clip", "opus_packets", "relay", "tiny_disk", "vp8_clip"]


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MB file system (tmpfs), where root may mount one; the test is skipped elsewhere."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("mounting a tmpfs needs root")
    yield folder
    subprocess.run(["umount", str(folder)], check=True)

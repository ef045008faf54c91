"""The sync tests' fixtures: real Syncthing 1.19 devices on loopback (tests/helpers/syncthing.py).

- `syncthing` (function): two devices, A on `tmp_path/"a"` and B on `tmp_path/"b"`, sharing
  one folder, connected, idle; stopped by pid and their homes removed after the test.
- `syncthing_trio` (function): the same with three devices (`tmp_path/"a"`, `"b"`, `"c"`).

Both watch the processes' sockets from start to end (`outside_connections()`), run syncthing
under strace when it is installed (`traced_outside()`), and print every device's log when the
test fails. Without syncthing they skip loudly, and fail under
REQUIRE_X11=1 (CI). Syncthing runs as root here (it only warns), so no test user is needed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.syncthing import SyncthingCluster, need_syncthing, syncthing_devices


def _cluster(request: pytest.FixtureRequest, folders: list[Path]
             ) -> Iterator[SyncthingCluster]:
    need_syncthing()
    with syncthing_devices(folders) as cluster:
        yield cluster
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            print(cluster.logs())


@pytest.fixture
def syncthing(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SyncthingCluster]:
    yield from _cluster(request, [tmp_path / "a", tmp_path / "b"])


@pytest.fixture
def syncthing_trio(request: pytest.FixtureRequest, tmp_path: Path
                   ) -> Iterator[SyncthingCluster]:
    yield from _cluster(request, [tmp_path / "a", tmp_path / "b", tmp_path / "c"])

"""The image recipes: what names their cached archives, and the commands that build them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from kairflow.localcluster import images
from kairflow.localcluster.images import BASE, PAUSE, ImageRecipe


@pytest.mark.parametrize(
    "changed",
    [
        pytest.param(
            replace(BASE, source=(*BASE.source[:2], "--include=python3", *BASE.source[3:])),
            id="a different package list is a different image",
        ),
        pytest.param(
            replace(BASE, config=("--cmd", "/bin/sh")),
            id="a different command is a different image",
        ),
        pytest.param(
            replace(BASE, marker="other\n"), id="a different marker file is a different image"
        ),
        pytest.param(
            replace(BASE, reference="localhost/kairflow/base:trixie"),
            id="a different tag is a different image",
        ),
    ],
)
def test_any_change_to_a_recipe_names_a_new_archive(changed: ImageRecipe, tmp_path: Path) -> None:
    assert changed.digest() != BASE.digest()
    assert changed.archive(tmp_path) != BASE.archive(tmp_path)


def test_an_unchanged_recipe_names_the_same_archive_every_time(tmp_path: Path) -> None:
    again = ImageRecipe(BASE.reference, tuple(BASE.source), tuple(BASE.config), BASE.marker)
    assert again.archive(tmp_path) == BASE.archive(tmp_path)
    assert BASE.archive(tmp_path) == tmp_path / f"base-bookworm-{BASE.digest()}.oci.tar"


def test_the_base_rootfs_is_a_minbase_bookworm_with_bash_python_as_python_and_venv() -> None:
    command = images.source_command(BASE, rootfs="/w/rootfs.tar", mirror="http://m/debian")
    assert command == [
        "mmdebstrap",
        "--variant=minbase",
        "--include=python3,python-is-python3,python3-venv,bash",
        "bookworm",
        "/w/rootfs.tar",
        "http://m/debian",
    ]


def test_the_pause_binary_is_compiled_static_into_the_rootfs() -> None:
    command = images.source_command(PAUSE, rootfs="/w/rootfs", pause_c="/w/pause.c")
    assert command[:3] == ["gcc", "-Os", "-static"]
    assert command[-3:] == ["-o", "/w/rootfs/pause", "/w/pause.c"]


def test_buildah_builds_from_scratch_in_private_vfs_storage_and_commits_an_oci_archive() -> None:
    commands = images.buildah_commands(BASE, Path("/w"), Path("/w/rootfs.tar"), Path("/c/base.tar"))
    prefix = ["buildah", "--root", "/w/root", "--runroot", "/w/run", "--storage-driver", "vfs"]
    container = f"kairflow-build-{BASE.digest()}"
    assert all(command[: len(prefix)] == prefix for command in commands)
    assert [command[len(prefix) :] for command in commands] == [
        ["from", "--name", container, "scratch"],
        ["add", container, "/w/rootfs.tar", "/"],
        ["add", container, "/w/kairflow-image", "/etc/"],
        ["config", *BASE.config, container],
        ["commit", container, "oci-archive:/c/base.tar:localhost/kairflow/base:bookworm"],
        ["rm", container],
    ]


def test_an_image_without_a_marker_gets_no_marker_file() -> None:
    commands = images.buildah_commands(PAUSE, Path("/w"), Path("/w/rootfs"), Path("/c/p.tar"))
    assert not any("/etc/" in command for command in commands)


@pytest.mark.parametrize(
    "sources, mirror",
    [
        pytest.param(
            "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\n",
            "http://mirror.example/debian",
            id="a deb822 source gives its mirror",
        ),
        pytest.param(
            "deb [signed-by=/k.gpg] http://m.example/debian/ bookworm main\n",
            "http://m.example/debian/",
            id="a one-line source gives its mirror",
        ),
        pytest.param(
            "URIs: http://deb.example/debian-security\n",
            images.DEFAULT_MIRROR,
            id="a security-only host falls back to deb.debian.org",
        ),
        pytest.param("", images.DEFAULT_MIRROR, id="no sources fall back to deb.debian.org"),
    ],
)
def test_the_rootfs_comes_from_the_hosts_debian_mirror(sources: str, mirror: str) -> None:
    assert images.host_mirror(sources) == mirror


def test_a_cached_archive_is_not_rebuilt(tmp_path: Path) -> None:
    BASE.archive(tmp_path).write_bytes(b"oci")
    ran: list[Sequence[str]] = []
    assert images.build_image(BASE, cache=tmp_path, run=ran.append) == BASE.archive(tmp_path)
    assert ran == []


def test_images_are_imported_where_the_kubelet_looks_for_them() -> None:
    assert images.ctr_import_command("/s/containerd.sock", Path("/c/base.tar")) == [
        "ctr",
        "--address",
        "/s/containerd.sock",
        "-n",
        "k8s.io",
        "images",
        "import",
        "/c/base.tar",
    ]

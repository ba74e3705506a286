"""The operator image: what names it (a digest of its sources and base) and how buildah
builds it from operator/Dockerfile on the local base. Nothing here builds an image."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from kairflow.localcluster import operator_image
from kairflow.localcluster.images import BASE

BASE_DIGEST = "sha256:" + "b" * 64
SOURCES = {
    "pyproject.toml": "[project]\nname = 'kairflow'\ndependencies = ['kopf']\n",
    "README.md": "# Kairflow\n",
    "operator/Dockerfile": "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n",
    "operator/kairflow/__init__.py": "",
    "operator/kairflow/core/planner.py": "def plan(): ...\n",
    "operator/kairflow/localcluster/build-k8s.sh": "#!/bin/sh\n",
}


def _checkout(root: Path) -> Path:
    for name, text in SOURCES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def _write(name: str, text: str = "changed\n") -> Callable[[Path], object]:
    def write(root: Path) -> None:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)

    return write


def _make_executable(root: Path) -> None:
    (root / "operator/kairflow/localcluster/build-k8s.sh").chmod(0o755)


NEW, SAME = True, False


@pytest.mark.parametrize(
    "change, new_image",
    [
        pytest.param(
            _write("operator/kairflow/core/planner.py"), NEW, id="an edited module is a new image"
        ),
        pytest.param(
            _write("operator/kairflow/core/planner.py", "def plan(): ...\n# \n"),
            NEW,
            id="a comment added to a module is a new image",
        ),
        pytest.param(_write("operator/kairflow/core/pools.py"), NEW, id="a new module is"),
        pytest.param(
            lambda root: (root / "operator/kairflow/core/planner.py").unlink(),
            NEW,
            id="a deleted module is",
        ),
        pytest.param(_write("operator/Dockerfile"), NEW, id="an edited Dockerfile is"),
        pytest.param(_write("pyproject.toml"), NEW, id="a new dependency in pyproject.toml is"),
        pytest.param(_write("README.md"), NEW, id="an edited README (the package's text) is"),
        pytest.param(_make_executable, NEW, id="a script made executable is"),
        pytest.param(
            _write("operator/kairflow/core/__pycache__/planner.cpython-311.pyc", "\x00bytecode"),
            SAME,
            id="bytecode Python wrote in __pycache__ is the same image",
        ),
        pytest.param(
            _write("operator/kairflow/core/__pycache__/planner.cpython-311.pyc.140231"),
            SAME,
            id="bytecode Python is still writing (under a temporary name) is the same image",
        ),
        pytest.param(
            _write("operator/kairflow/core/planner.pyc"), SAME, id="a stray .pyc is the same"
        ),
        pytest.param(
            _write("operator/kairflow.egg-info/SOURCES.txt"),
            SAME,
            id="pip's egg-info metadata is the same image",
        ),
        pytest.param(
            _write(".venv/lib/site.py"), SAME, id="the virtualenv outside operator/ is the same"
        ),
        pytest.param(
            _write("tests/unit/test_new.py"), SAME, id="a new test outside operator/ is the same"
        ),
    ],
)
def test_the_image_changes_exactly_when_what_the_build_reads_changes(
    change: Callable[[Path], object], new_image: bool, tmp_path: Path
) -> None:
    root = _checkout(tmp_path)
    before = operator_image.tree_digest(root, BASE_DIGEST)
    change(root)
    assert (operator_image.tree_digest(root, BASE_DIGEST) != before) is new_image


def test_a_new_base_image_is_a_new_operator_image(tmp_path: Path) -> None:
    root = _checkout(tmp_path)
    assert operator_image.tree_digest(root, "sha256:" + "c" * 64) != operator_image.tree_digest(
        root, BASE_DIGEST
    )


def test_the_build_reads_the_root_files_and_everything_under_operator(tmp_path: Path) -> None:
    root = _checkout(tmp_path)
    _write("operator/kairflow/__pycache__/__init__.cpython-311.pyc")(root)
    _write("tests/test_x.py")(root)
    assert operator_image.source_files(root) == sorted(SOURCES)


def test_the_image_is_named_by_its_digest_in_the_local_registry(tmp_path: Path) -> None:
    assert operator_image.reference("0123abcd") == "localhost/kairflow/operator:0123abcd"
    assert operator_image.archive_path(tmp_path, "0123abcd") == (
        tmp_path / "operator-0123abcd.oci.tar"
    )


W = Path("/w")
STORAGE = ["buildah", "--root", "/w/root", "--runroot", "/w/run", "--storage-driver", "vfs"]
IMAGE = "localhost/kairflow/operator:0123abcd"
PULL, BUD, PUSH = 0, 1, 2


@pytest.mark.parametrize(
    "step, arguments",
    [
        pytest.param(
            PULL,
            ["pull", "--quiet", "oci-archive:/c/base.tar"],
            id="the base archive is loaded into the private storage before the build",
        ),
        pytest.param(
            BUD,
            ["--build-arg", "BASE_IMAGE=localhost/kairflow/base:bookworm"],
            id="the build runs FROM the local base image",
        ),
        pytest.param(BUD, ["--pull=never"], id="the build never asks a registry for the base"),
        pytest.param(BUD, ["--isolation", "chroot"], id="RUN steps run in a chroot"),
        pytest.param(BUD, ["--network", "host"], id="pip reaches PyPI over the host's network"),
        pytest.param(
            BUD,
            ["--file", "/w/context/operator/Dockerfile", "--tag", IMAGE, "/w/context"],
            id="the staged context is built with the operator Dockerfile and tagged",
        ),
        pytest.param(
            BUD,
            ["--volume", "/etc/ssl/ca.crt:/etc/kairflow-build-ca.crt:ro"],
            id="the host's CA bundle is mounted read-only for pip",
        ),
        pytest.param(
            BUD,
            ["--volume", "/w/pip.conf:/etc/pip.conf:ro"],
            id="pip is configured to trust the host's CA bundle",
        ),
        pytest.param(
            PUSH,
            ["push", "--quiet", IMAGE, f"oci-archive:/c/op.tar:{IMAGE}"],
            id="the image is pushed to an OCI archive under its own name",
        ),
    ],
)
def test_buildah_builds_the_operator_image_on_the_local_base(
    step: int, arguments: list[str]
) -> None:
    commands = operator_image.buildah_commands(
        W, Path("/c/base.tar"), IMAGE, Path("/c/op.tar"), Path("/etc/ssl/ca.crt")
    )
    assert len(commands) == 3
    assert all(command[: len(STORAGE)] == STORAGE for command in commands)
    assert _contains(commands[step][len(STORAGE) :], arguments)


def test_without_a_host_ca_bundle_pip_keeps_its_own() -> None:
    commands = operator_image.buildah_commands(W, Path("/b.tar"), IMAGE, Path("/o.tar"), None)
    assert "--volume" not in commands[BUD]


def _contains(command: Sequence[str], arguments: Sequence[str]) -> bool:
    n = len(arguments)
    return any(list(command[i : i + n]) == list(arguments) for i in range(len(command) - n + 1))


def _oci_archive(path: Path, manifest_digest: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    index = json.dumps({"schemaVersion": 2, "manifests": [{"digest": manifest_digest}]}).encode()
    with tarfile.open(path, "w") as tar:
        info = tarfile.TarInfo("index.json")
        info.size = len(index)
        tar.addfile(info, io.BytesIO(index))


def test_the_base_is_identified_by_its_manifest_digest(tmp_path: Path) -> None:
    _oci_archive(tmp_path / "base.tar", BASE_DIGEST)
    assert operator_image.base_image_digest(tmp_path / "base.tar") == BASE_DIGEST


def test_a_built_operator_image_is_not_rebuilt(tmp_path: Path) -> None:
    root, cache = _checkout(tmp_path / "repo"), tmp_path / "cache"
    _oci_archive(BASE.archive(cache), BASE_DIGEST)
    digest = operator_image.tree_digest(root, BASE_DIGEST)
    operator_image.archive_path(cache, digest).write_bytes(b"oci")
    ran: list[Sequence[str]] = []
    assert operator_image.build_operator_image(root, cache, run=ran.append) == (
        cache / f"operator-{digest}.oci.tar",
        f"localhost/kairflow/operator:{digest}",
    )
    assert ran == []


def test_a_new_tree_is_built_from_exactly_its_sources_into_the_cache(tmp_path: Path) -> None:
    root, cache = _checkout(tmp_path / "repo"), tmp_path / "cache"
    _write("operator/kairflow/__pycache__/__init__.cpython-311.pyc")(root)
    _oci_archive(BASE.archive(cache), BASE_DIGEST)
    staged: list[str] = []
    ran: list[Sequence[str]] = []

    def buildah(command: Sequence[str]) -> None:
        ran.append(command)
        if "bud" in command:
            context = Path(command[-1])
            staged.extend(
                sorted(str(p.relative_to(context)) for p in context.rglob("*") if p.is_file())
            )
        if "push" in command:  # buildah writes the archive where it is told to
            Path(command[-1].split(":")[1]).write_bytes(b"oci")

    archive, image = operator_image.build_operator_image(root, cache, run=buildah)

    assert [command[len(STORAGE)] for command in ran if command[0] == "buildah"] == [
        "pull",
        "bud",
        "push",
    ]
    assert staged == sorted(SOURCES)
    assert archive.read_bytes() == b"oci"
    assert image.endswith(archive.name.removeprefix("operator-").removesuffix(".oci.tar"))
    assert sorted(p.name for p in cache.iterdir()) == sorted(
        [BASE.archive(cache).name, archive.name]
    )  # no partial archive left behind


def test_the_dockerfile_builds_on_python_slim_unless_given_a_base() -> None:
    root = operator_image.checkout_root()
    assert root is not None, "the tests run from a checkout"
    lines = (root / operator_image.DOCKERFILE).read_text().splitlines()
    instructions = [line for line in lines if line and not line[0].isspace() and line[0] != "#"]
    assert instructions[:2] == ["ARG BASE_IMAGE=python:3.12-slim", "FROM ${BASE_IMAGE}"]
    assert instructions[-3:] == ["USER 10001", 'ENTRYPOINT ["kairflow"]', 'CMD ["operator"]']

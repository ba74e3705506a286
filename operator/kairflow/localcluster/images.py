"""Container images for the real node, built without Docker and without pulling.

Two images, each an OCI archive cached under ~/.cache/kairflow/images/ and named by a
hash of its recipe (so changing a package list or a setting builds a new one, and an
unchanged recipe is never rebuilt):

- the base image every task runs in: a Debian bookworm rootfs from `mmdebstrap`
  (minbase + bash + python3, and python3-venv so the operator image can be built on it
  without Docker: see operator_image.py), plus a marker file a task can read to prove
  it runs inside the image;
- the pause image containerd needs for pod sandboxes: `pause.c` from the same
  Kubernetes source package as our binaries, linked statically.

`buildah` (vfs storage driver: no overlay or fuse needed) turns each into an OCI
archive, in a private storage root that is thrown away afterwards. Import into a
running containerd is `import_into_containerd`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from kairflow.localcluster.binaries import K8S_VERSION

DEBIAN_SUITE = "bookworm"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# The Debian packages each step needs, installed when their command is missing.
_TOOLS = {"mmdebstrap": "mmdebstrap", "buildah": "buildah", "gcc": "gcc"}

Run = Callable[[Sequence[str]], None]


class ImageBuildFailed(RuntimeError):
    """An image could not be built (a tool failed or is missing)."""


@dataclass(frozen=True)
class ImageRecipe:
    """What goes into an image; its digest names the cached archive."""

    reference: str
    source: tuple[str, ...]  # how the content is made (a command line, placeholders only)
    config: tuple[str, ...]  # `buildah config` arguments
    marker: str = ""  # when set, the text of /etc/kairflow-image

    def digest(self) -> str:
        text = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def archive(self, cache: Path) -> Path:
        name = self.reference.rsplit("/", 1)[-1].replace(":", "-")
        return cache / f"{name}-{self.digest()}.oci.tar"


BASE = ImageRecipe(
    reference=f"localhost/kairflow/base:{DEBIAN_SUITE}",
    source=(
        "mmdebstrap",
        "--variant=minbase",
        # python-is-python3: `python:` tasks run `python`, as in the python:3 images.
        "--include=python3,python-is-python3,python3-venv,bash",
        DEBIAN_SUITE,
        "{rootfs}",
        "{mirror}",
    ),
    config=("--env", PATH_ENV, "--cmd", "/bin/bash"),
    marker=f"kairflow base image, Debian {DEBIAN_SUITE} minbase + bash + python\n",
)
PAUSE = ImageRecipe(
    reference=f"localhost/kairflow/pause:k8s-{K8S_VERSION}",
    source=(
        "gcc",
        "-Os",
        "-static",
        f"-DVERSION=k8s-{K8S_VERSION}",
        "-o",
        "{rootfs}/pause",
        "{pause_c}",
    ),
    config=("--entrypoint", '["/pause"]'),
)


def cache_dir() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return Path(os.environ.get("KAIRFLOW_IMAGE_CACHE", default / "kairflow" / "images"))


def source_command(recipe: ImageRecipe, **paths: str) -> list[str]:
    """The recipe's source command with its placeholders filled in."""
    return [part.format(**paths) for part in recipe.source]


def buildah_in(storage: Path) -> list[str]:
    """`buildah` on a private vfs storage under `storage` (no overlay or fuse needed)."""
    return [
        "buildah",
        "--root",
        str(storage / "root"),
        "--runroot",
        str(storage / "run"),
        "--storage-driver",
        "vfs",
    ]


def buildah_commands(
    recipe: ImageRecipe, storage: Path, content: Path, archive: Path
) -> list[list[str]]:
    """From scratch, add `content` at /, configure, and commit straight to an OCI archive.

    `content` is a rootfs tarball (buildah unpacks it) or a directory (copied as is).
    """
    buildah = buildah_in(storage)
    container = f"kairflow-build-{recipe.digest()}"
    commands = [
        [*buildah, "from", "--name", container, "scratch"],
        [*buildah, "add", container, str(content), "/"],
    ]
    if recipe.marker:
        commands.append([*buildah, "add", container, str(storage / "kairflow-image"), "/etc/"])
    commands += [
        [*buildah, "config", *recipe.config, container],
        [*buildah, "commit", container, f"oci-archive:{archive}:{recipe.reference}"],
        [*buildah, "rm", container],
    ]
    return commands


def ctr_import_command(address: str, archive: Path) -> list[str]:
    """Import into the namespace the CRI plugin (kubelet) reads images from."""
    return ["ctr", "--address", address, "-n", "k8s.io", "images", "import", str(archive)]


def host_mirror(sources: str) -> str:
    """The first Debian mirror of the host's apt sources (one-line or deb822 format)."""
    for line in sources.splitlines():
        words = line.split()
        if words and words[0] in ("deb", "URIs:"):
            for word in words[1:]:
                if word.startswith("http") and word.rstrip("/").endswith("/debian"):
                    return word
    return DEFAULT_MIRROR


def subprocess_run(command: Sequence[str]) -> None:
    result = subprocess.run(list(command), check=False)
    if result.returncode != 0:
        raise ImageBuildFailed(f"{command[0]} failed (exit {result.returncode}): {command}")


def _as_root(command: list[str]) -> list[str]:
    return command if os.geteuid() == 0 else ["sudo", *command]


def ensure_tools(run: Run = subprocess_run) -> None:
    missing = [package for tool, package in _TOOLS.items() if shutil.which(tool) is None]
    if missing:
        run(_as_root(["apt-get", "update", "-qq"]))
        run(
            _as_root(
                [
                    "env",
                    "DEBIAN_FRONTEND=noninteractive",
                    "apt-get",
                    "install",
                    "-y",
                    "-qq",
                    *missing,
                ]
            )
        )


def _read_sources() -> str:
    files = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    return "\n".join(
        f.read_text() for f in files if f.is_file() and f.suffix in (".list", ".sources")
    )


def _fetch_pause_c(work: Path, run: Run) -> Path:
    """pause.c from Debian's `kubernetes` source package (deb-src set up by build-k8s.sh)."""
    fetched = subprocess.run(
        ["apt-get", "source", "--download-only", "kubernetes"],
        cwd=work,
        check=False,
        stdout=subprocess.DEVNULL,
    )
    if fetched.returncode != 0:
        raise ImageBuildFailed(
            "apt-get source kubernetes failed: run localcluster/build-k8s.sh once "
            "(it adds the deb-src line the pause image's source comes from)"
        )
    orig = next(work.glob("kubernetes_*.orig.tar.gz"))
    run(["tar", "-C", str(work), "-xzf", str(orig), "--wildcards", "*/build/pause/linux/pause.c"])
    return next(work.glob("*/build/pause/linux/pause.c"))


@contextmanager
def publishing(archive: Path) -> Iterator[Path]:
    """A path to write `archive` to, renamed to it only once the block completes, so a
    build that fails or is interrupted never leaves a cached name on a partial archive."""
    archive.parent.mkdir(parents=True, exist_ok=True)
    partial = archive.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    yield partial
    partial.rename(archive)


def build_image(recipe: ImageRecipe, cache: Path | None = None, run: Run = subprocess_run) -> Path:
    """The recipe's OCI archive, built into the cache when missing."""
    archive = recipe.archive(cache or cache_dir())
    if archive.is_file():
        return archive
    ensure_tools(run)
    with tempfile.TemporaryDirectory(prefix="kairflow-image-") as tmp:
        work = Path(tmp)
        if "{pause_c}" in recipe.source:
            content = work / "rootfs"
            content.mkdir()
            pause_c = _fetch_pause_c(work, run)
            run(source_command(recipe, rootfs=str(content), pause_c=str(pause_c)))
        else:
            content = work / "rootfs.tar"
            run(source_command(recipe, rootfs=str(content), mirror=host_mirror(_read_sources())))
        if recipe.marker:
            (work / "kairflow-image").write_text(recipe.marker)
        with publishing(archive) as partial:
            for command in buildah_commands(recipe, work, content, partial):
                run(command)
    return archive


def import_into_containerd(address: str, archive: Path, run: Run = subprocess_run) -> None:
    run(ctr_import_command(address, archive))

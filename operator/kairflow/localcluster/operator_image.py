"""The operator image the Helm chart runs, built from `operator/Dockerfile` without Docker.

Elsewhere the same Dockerfile builds with `docker build` on `python:3.12-slim`. Here
`buildah bud` builds it (vfs storage, chroot isolation, the host's network so pip reaches
PyPI) FROM the local base image: the base's OCI archive is loaded into a private storage
root first and named by the `BASE_IMAGE` build argument, so nothing is pulled from a
registry. The result is pushed to an OCI archive in the image cache.

Its tag is a digest of everything the build reads (the Dockerfile, pyproject.toml,
README.md and every source file under operator/) and of the base image, so an unchanged
tree is never rebuilt and any change is a new tag: `helm upgrade` to it rolls the pod.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import ssl
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

from kairflow.localcluster import images
from kairflow.localcluster.images import Run, subprocess_run

REPOSITORY = "localhost/kairflow/operator"
DOCKERFILE = "operator/Dockerfile"
_ROOT_FILES = ("pyproject.toml", "README.md")
# Where the build sees the host's CA bundle, and the pip configuration that trusts it.
_BUILD_CA = "/etc/kairflow-build-ca.crt"
_PIP_CONF = f"[global]\ncert = {_BUILD_CA}\n"


def checkout_root() -> Path | None:
    """The repository this kairflow runs from, when it is a checkout (editable install)."""
    root = Path(__file__).resolve().parents[3]
    return root if (root / DOCKERFILE).is_file() and (root / "pyproject.toml").is_file() else None


def _written_by_python(relative: PurePosixPath) -> bool:
    """Bytecode and pip's build metadata: never read by the build, so never in the tag."""
    return (
        relative.suffix in (".pyc", ".pyo")
        or "__pycache__" in relative.parts
        or any(part.endswith(".egg-info") for part in relative.parts)
    )


def source_files(root: Path) -> list[str]:
    """What the build reads, relative to `root`, sorted: the tag's input and the context."""
    under_operator = (
        PurePosixPath(path.relative_to(root).as_posix())
        for path in (root / "operator").rglob("*")
        if path.is_file()
    )
    return sorted([*_ROOT_FILES, *(str(p) for p in under_operator if not _written_by_python(p))])


def tree_digest(root: Path, base_digest: str) -> str:
    """The operator image's tag: its sources (names, contents, executable bits) and base."""
    sha = hashlib.sha256(base_digest.encode())
    for name in source_files(root):
        path = root / name
        content = path.read_bytes()
        executable = path.stat().st_mode & 0o111 != 0
        # Lengths and separators keep (name, content) pairs from running into each other.
        sha.update(f"\0{name}\0{executable:d}\0{len(content)}\0".encode())
        sha.update(content)
    return sha.hexdigest()[:16]


def reference(digest: str) -> str:
    return f"{REPOSITORY}:{digest}"


def archive_path(cache: Path, digest: str) -> Path:
    return cache / f"operator-{digest}.oci.tar"


def base_image_digest(archive: Path) -> str:
    """The manifest digest an OCI archive's index names: the image's identity (a rebuilt
    base has a new one even when its recipe is unchanged)."""
    with tarfile.open(archive, "r:") as tar:
        index = tar.extractfile("index.json")
        if index is None:
            raise images.ImageBuildFailed(f"{archive} has no index.json: not an OCI archive")
        return str(json.load(index)["manifests"][0]["digest"])


def host_ca_bundle() -> Path | None:
    """The CA bundle the host trusts (it may include a TLS-inspecting proxy's CA, which pip
    in the build must then trust too: pip only trusts its own certifi bundle)."""
    cafile = ssl.get_default_verify_paths().cafile
    return Path(cafile).resolve() if cafile else None


def buildah_commands(
    work: Path, base_archive: Path, image: str, archive: Path, ca_bundle: Path | None
) -> list[list[str]]:
    """Load the base into private storage under `work`, build `work/context` FROM it and
    push the image to `archive`; with a CA bundle, pip in the build trusts it."""
    buildah = images.buildah_in(work)
    trust = (
        [
            "--volume",
            f"{ca_bundle}:{_BUILD_CA}:ro",
            "--volume",
            f"{work / 'pip.conf'}:/etc/pip.conf:ro",
        ]
        if ca_bundle
        else []
    )
    return [
        [*buildah, "pull", "--quiet", f"oci-archive:{base_archive}"],
        [
            *buildah,
            "bud",
            "--isolation",
            "chroot",
            "--network",
            "host",
            "--pull=never",  # an optional-value flag: `--pull never` would not parse
            "--build-arg",
            f"BASE_IMAGE={images.BASE.reference}",
            *trust,
            "--file",
            str(work / "context" / DOCKERFILE),
            "--tag",
            image,
            str(work / "context"),
        ],
        [*buildah, "push", "--quiet", image, f"oci-archive:{archive}:{image}"],
    ]


def _stage_context(root: Path, files: list[str], context: Path) -> None:
    """Exactly the digested files: nothing else (.venv, .git, caches) reaches the build."""
    for name in files:
        target = context / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(root / name, target)


def build_operator_image(
    root: Path, cache: Path | None = None, run: Run = subprocess_run
) -> tuple[Path, str]:
    """The operator image of the checkout at `root`: (its OCI archive, its reference),
    built into the cache (with the base image it needs) when missing."""
    cache = cache or images.cache_dir()
    base_archive = images.build_image(images.BASE, cache, run)
    digest = tree_digest(root, base_image_digest(base_archive))
    archive, image = archive_path(cache, digest), reference(digest)
    if archive.is_file():
        return archive, image
    images.ensure_tools(run)
    with tempfile.TemporaryDirectory(prefix="kairflow-operator-image-") as tmp:
        work = Path(tmp)
        _stage_context(root, source_files(root), work / "context")
        ca_bundle = host_ca_bundle()
        if ca_bundle:
            (work / "pip.conf").write_text(_PIP_CONF)
        with images.publishing(archive) as partial:
            for command in buildah_commands(work, base_archive, image, partial, ca_bundle):
                run(command)
    return archive, image

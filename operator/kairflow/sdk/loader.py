"""Loading a Python DAG file: run it as a fresh module and collect its DAGs.

The file's directory is on sys.path while it runs (so it can import its neighbours)
and the module stays registered until the manifests are built (class sources are
found through it); both are restored afterwards. Every failure is one SdkError
naming the file and line of the user's code.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from kairflow.sdk import current
from kairflow.sdk.dag import DAG
from kairflow.sdk.errors import Location, SdkError, SdkWarning, traceback_location
from kairflow.sdk.manifest import to_manifest


@dataclass
class Loaded:
    """The manifests of a file's DAGs (in definition order) and the warnings."""

    manifests: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[SdkWarning] = field(default_factory=list)


@contextmanager
def _module(path: Path) -> Iterator[ModuleType]:
    name = "kairflow_dag_" + re.sub(r"\W", "_", path.stem)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise SdkError("cannot load this file as Python", Location(str(path), 0))
    module = importlib.util.module_from_spec(spec)
    saved_path, saved_module = list(sys.path), sys.modules.get(name)
    sys.path.insert(0, str(path.parent.resolve()))
    sys.modules[name] = module
    current.reset()
    try:
        try:
            spec.loader.exec_module(module)
        except SdkError:
            raise
        except SyntaxError as exc:
            where = Location(exc.filename or str(path), exc.lineno or 0)
            raise SdkError(f"SyntaxError: {exc.msg}", where) from None
        except Exception as exc:
            where = traceback_location(exc.__traceback__, str(path))
            raise SdkError(f"{type(exc).__name__}: {exc}", where) from None
        yield module
    finally:
        current.reset()
        sys.path[:] = saved_path
        if saved_module is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = saved_module


@contextmanager
def executed(path: str | Path) -> Iterator[list[DAG]]:
    """Run the file; inside the block, the DAGs it defines (in definition order),
    whose manifests can be built while the file's module is still registered."""
    path = Path(path)
    if not path.is_file():
        raise SdkError("no such file", Location(str(path), 0))
    with _module(path) as module:
        dags = current.take_created()
        dags.extend(v for v in vars(module).values() if isinstance(v, DAG) and v not in dags)
        yield dags


def load(path: str | Path) -> Loaded:
    """Run the file and build the manifests of every DAG it defines."""
    with executed(path) as dags:
        if not dags:
            raise SdkError("no DAG defined in this file", Location(str(path), 0))
        loaded = Loaded()
        for dag in dags:
            loaded.manifests.append(to_manifest(dag))
            loaded.warnings.extend(dag.warnings)
    return loaded


def load_file(path: str | Path) -> list[dict[str, Any]]:
    """The manifests (dicts) of every DAG the Python file defines."""
    return load(path).manifests

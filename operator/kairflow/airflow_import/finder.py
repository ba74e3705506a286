"""`import airflow...` while an Airflow DAG file runs: a `sys.meta_path` finder that
builds the shim modules, installed only for the time of the import.

Every `airflow` module the file (or a module it imports) loads is forgotten when the
block ends and whatever `sys.modules` held before is put back, so nothing leaks into
the process and two imports in a row are independent.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType

from kairflow.airflow_import.modules import build_module


def is_airflow(name: str) -> bool:
    return name == "airflow" or name.startswith("airflow.")


class AirflowFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds every `airflow` and `airflow.*` module: a shim for the names Kairflow
    maps, placeholders for the rest (see `modules.build_module`)."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if not is_airflow(fullname):
            return None
        # Every module is a package so that any submodule can be imported under it.
        return importlib.util.spec_from_loader(fullname, self, is_package=True)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return build_module(spec.name)

    def exec_module(self, module: ModuleType) -> None:
        """The module is complete once built."""


@contextmanager
def airflow_modules() -> Iterator[None]:
    """`import airflow...` resolves to the shims inside the block, and only there."""
    saved = {name: module for name, module in sys.modules.items() if is_airflow(name)}
    for name in saved:
        del sys.modules[name]  # a real Airflow the process imported is not used meanwhile
    finder = AirflowFinder()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        for name in [name for name in sys.modules if is_airflow(name)]:
            del sys.modules[name]
        sys.modules.update(saved)

"""The names a shipped callable needs from its module, as source to put before it.

The callable's code (and the code nested in it) is walked for the global and free
names it loads. Each one becomes: `import x as y` for a module; `from m import n as
y` for a function or class imported from another module; the source of a function
or class defined in the DAG file itself (walked in turn); `name = <repr>` for a
literal constant. Anything else cannot be shipped: an error naming the callable's
file and line and the name.
"""

from __future__ import annotations

import ast
import builtins
import dis
import inspect
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from types import CodeType, FunctionType, ModuleType
from typing import Any

from kairflow.sdk.errors import SdkError
from kairflow.sdk.shipping import runtime
from kairflow.sdk.shipping.source import definition, definition_location, shipped_name

_LOADS = frozenset({"LOAD_GLOBAL", "LOAD_NAME", "LOAD_DEREF", "LOAD_CLASSDEREF"})


def _code_names(code: CodeType) -> Iterator[str]:
    for instruction in dis.get_instructions(code):
        if instruction.opname in _LOADS and isinstance(instruction.argval, str):
            yield instruction.argval
    for const in code.co_consts:
        if isinstance(const, CodeType):
            yield from _code_names(const)


def _ast_names(node: ast.AST) -> Iterator[str]:
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load):
            yield child.id


def _is_literal(value: Any) -> bool:
    try:
        return bool(ast.literal_eval(repr(value)) == value)
    except (ValueError, SyntaxError, TypeError, RecursionError):
        return False


SHIPPED_SOURCE = "__kairflow_shipped_source__"
"""A class or function may carry the source it is shipped as (a stand-in for a name
of a library the task does not have, e.g. Airflow's exceptions), or an Unshippable."""


def shipped_class(source: str) -> Any:
    """Define the (last) class of `source` here, carrying `source` to ship it to tasks:
    a stand-in for a library class the task does not have."""
    namespace: dict[str, Any] = {"__name__": __name__}
    exec(source, namespace)  # our own constant source text
    classes = [v for k, v in namespace.items() if isinstance(v, type) and k != "__builtins__"]
    cls = classes[-1]
    setattr(cls, SHIPPED_SOURCE, source)
    return cls


@dataclass(frozen=True)
class Unshippable:
    """Why a value can never run in a task (e.g. an Airflow hook): named in the error."""

    reason: str


def _own_shipping(value: Any) -> str | Unshippable | None:
    # A class's own attribute only: a user's subclass is shipped as its own source.
    if isinstance(value, type | FunctionType):
        own = vars(value).get(SHIPPED_SOURCE)
        return own if isinstance(own, str | Unshippable) else None
    return None


def _unwrap(value: Any) -> Any:
    """A TaskFlow task refers to its plain function."""
    function = getattr(value, "function", None)
    return function if isinstance(function, FunctionType) else value


class Shipment:
    """The preamble of one callable: imports, constants, then definitions."""

    def __init__(self, callable_: FunctionType) -> None:
        self._root = callable_
        self._module = callable_.__module__
        self.imports: list[str] = []
        self.constants: list[str] = []
        self.definitions: list[str] = []
        self._done: set[str] = {callable_.__name__}

    def walk_function(self, function: FunctionType, node: ast.AST | None) -> None:
        names = list(_code_names(function.__code__))
        if node is not None:  # decorators of a helper run at its definition
            decorators = getattr(node, "decorator_list", [])
            names.extend(n for d in decorators for n in _ast_names(d))
        closure = dict(
            zip(
                function.__code__.co_freevars,
                (cell.cell_contents for cell in function.__closure__ or ()),
                strict=True,
            )
        )
        for name in names:
            self._need(name, function, closure)

    def _need(self, name: str, owner: Any, closure: dict[str, Any]) -> None:
        if name in self._done:
            return
        scope = getattr(owner, "__globals__", None) or vars(inspect.getmodule(owner) or builtins)
        if name in closure:
            value = closure[name]
        elif name in scope:
            value = scope[name]
        elif hasattr(builtins, name):
            return
        else:
            return  # a name the code never reaches here (it would fail in Airflow too)
        self._done.add(name)
        self._ship(name, _unwrap(value))

    def _ship(self, name: str, value: Any) -> None:
        own = _own_shipping(value)
        if own is not None:
            self._ship_own(name, value, own)
        elif isinstance(value, logging.Logger):
            # `log = logging.getLogger(__name__)` at module level: the task's own logger.
            self.constants.append(f"{name} = __import__('logging').getLogger({value.name!r})")
        elif isinstance(value, ModuleType):
            module = value.__name__
            self.imports.append(
                f"import {module}" if module == name else f"import {module} as {name}"
            )
        elif value is runtime.PokeReturnValue:
            if name != "PokeReturnValue":
                self.constants.append(f"{name} = PokeReturnValue")
        elif isinstance(value, FunctionType | type) and self._is_local(value):
            source, node = definition(value, strip_decorators=False)
            if isinstance(value, FunctionType):
                self.walk_function(value, node)
            else:
                for dep in _ast_names(node):
                    self._need(dep, value, {})
            shipped = shipped_name(value)
            alias = "" if shipped == name else f"\n{name} = {shipped}"
            self.definitions.append(source.rstrip("\n") + alias)
        elif isinstance(value, FunctionType | type) and "<locals>" not in value.__qualname__:
            imported = value.__qualname__
            alias = "" if imported == name else f" as {name}"
            self.imports.append(f"from {value.__module__} import {imported}{alias}")
        elif _is_literal(value):
            self.constants.append(f"{name} = {value!r}")
        else:
            where = definition_location(self._root)
            raise SdkError(
                f"{self._root.__name__} uses {name!r} ({type(value).__name__}), which cannot be "
                "shipped to the task: only modules, functions, classes and literal constants "
                "(numbers, strings, lists, dicts...) can be; import or build it inside "
                "the function",
                where,
            )

    def _ship_own(self, name: str, value: Any, own: str | Unshippable) -> None:
        if isinstance(own, Unshippable):
            where = definition_location(self._root)
            raise SdkError(f"{self._root.__name__} uses {name!r}: {own.reason}", where)
        alias = "" if value.__name__ == name else f"\n{name} = {value.__name__}"
        self.definitions.append(own.rstrip("\n") + alias)

    def _is_local(self, value: Any) -> bool:
        """Defined in the DAG file itself (its source is copied, not imported)."""
        return bool(value.__module__ == self._module or "<locals>" in value.__qualname__)

    def preamble(self) -> str:
        parts = [
            "\n".join(sorted(set(self.imports))),
            "\n".join(sorted(set(self.constants))),
            *self.definitions,
        ]
        return "\n\n".join(part for part in parts if part)


def ship(callable_: FunctionType) -> tuple[str, str]:
    """(preamble, the callable's source without its decorators)."""
    source, _ = definition(callable_, strip_decorators=True)
    shipment = Shipment(callable_)
    shipment.walk_function(callable_, None)
    return shipment.preamble(), source

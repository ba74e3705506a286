"""What the operator keeps of big XComs between syncs: a stored value never changes
(its ConfigMap is immutable and named after its try), so reading it once is enough.

Bounded: values by their JSON size (least recently used go first), stored
references by count. Losing an entry costs one read, never a wrong answer.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from kairflow.api.dagrun import XComRef

ValueKey = tuple[str, str, str]
"""(namespace, ConfigMap name, sha256)."""


@dataclass
class XComCache:
    max_bytes: int = 64 * 1024 * 1024
    max_stored: int = 4096
    _values: OrderedDict[ValueKey, tuple[int, Any]] = field(default_factory=OrderedDict)
    _bytes: int = 0
    _stored: OrderedDict[tuple[str, str], XComRef] = field(default_factory=OrderedDict)

    def value(self, key: ValueKey) -> tuple[bool, Any]:
        """(found, value)."""
        found = self._values.get(key)
        if found is None:
            return False, None
        self._values.move_to_end(key)
        return True, found[1]

    def keep_value(self, key: ValueKey, size: int, value: Any) -> None:
        if key in self._values or size > self.max_bytes:
            return
        self._values[key] = (size, value)
        self._bytes += size
        while self._bytes > self.max_bytes:
            _, (dropped, _) = self._values.popitem(last=False)
            self._bytes -= dropped

    def stored(self, namespace: str, pod: str) -> XComRef | None:
        """The reference a pod's big XCom was stored under, if this operator did it."""
        return self._stored.get((namespace, pod))

    def keep_stored(self, namespace: str, pod: str, ref: XComRef) -> None:
        self._stored[(namespace, pod)] = ref
        if len(self._stored) > self.max_stored:
            self._stored.popitem(last=False)

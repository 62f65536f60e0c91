"""Symbolic values on the analyser's stack. Nothing here is ever constructed from what a pickle names."""

from __future__ import annotations

from typing import Any

from .policy import Classification


class Opaque:
    """A value whose content does not matter to the analysis (numbers in bulk, big blobs, containers)."""

    __slots__ = ("kind",)

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __repr__(self) -> str:
        return f"<{self.kind}>"


NUMBER = Opaque("number")
BIG_BYTES = Opaque("large bytes")
BIG_STR = Opaque("large str")
BUFFER = Opaque("out-of-band buffer")
PERSISTENT = Opaque("persistent reference")


class Global:
    """What GLOBAL / STACK_GLOBAL / INST resolve: an imported object, never actually imported here."""

    __slots__ = ("module", "name", "cls", "offset", "attrs")

    def __init__(self, module: str, name: str, cls: Classification, offset: int) -> None:
        self.module = module
        self.name = name
        self.cls = cls
        self.offset = offset
        self.attrs: dict[str, Any] | None = None  # what BUILD set on it (attribute injection)

    @property
    def qualname(self) -> str:
        return self.cls.qualname

    def __repr__(self) -> str:
        return self.qualname


class Instance:
    """The result of calling something (REDUCE, NEWOBJ, OBJ, INST)."""

    __slots__ = ("callee", "args", "state")

    def __init__(self, callee: Any, args: Any) -> None:
        self.callee = callee
        self.args = args
        self.state: Any = None

    @property
    def qualname(self) -> str | None:
        return self.callee.qualname if isinstance(self.callee, Global) else None

    def __repr__(self) -> str:
        return f"{self.callee!r}(...)"


SMALL = 64  # containers keep their items only while this small (bounded memory)


class ListV:
    __slots__ = ("items", "count")

    def __init__(self) -> None:
        self.items: list[Any] | None = []
        self.count = 0

    def extend(self, values: list[Any]) -> None:
        self.count += len(values)
        if self.items is not None:
            if len(self.items) + len(values) <= 1_000_000 and all(type(v) is str for v in values):
                self.items.extend(values)  # lists of strings are kept (torch legacy storage keys)
            elif self.count <= SMALL:
                self.items.extend(values)
            else:
                self.items = None

    def __repr__(self) -> str:
        return f"[{self.count} items]"


class DictV:
    """A symbolic dict. ``items`` is None once it grew past SMALL entries. A dict filled by one SETITEMS in
    the analyser's fast path keeps its flat key/value list or tuple (a run of records, records.py) and builds
    the mapping only when something reads ``items`` (joblib array state, evidence): most record dicts are
    never looked at. While the flat form is kept, ``count`` is derived from it unless it was set."""

    __slots__ = ("_items", "count")
    _items: dict[Any, Any] | list[Any] | tuple[Any, ...] | None
    count: int

    # No __init__: a dict-heavy pickle creates millions of these, and a Python-level __init__ was a sixth of
    # the analyser's time. A slot never assigned reads as its default through __getattr__ (an empty dict,
    # no items; the pairs of a flat form), which Python calls only when the slot is unset.
    def __getattr__(self, name: str) -> Any:
        if name == "count":
            items = self._items
            return len(items) >> 1 if type(items) is tuple or type(items) is list else 0
        if name == "_items":
            self._items = {}
            return self._items
        raise AttributeError(name)

    @property
    def items(self) -> dict[Any, Any] | None:
        items = self._items
        if type(items) is list or type(items) is tuple:
            self.count = len(items) >> 1  # pinned before the flat form goes (equal if it was set)
            pairs = iter(items)
            items = self._items = dict(zip(pairs, pairs, strict=False))
        return items  # type: ignore[return-value]

    @items.setter
    def items(self, value: dict[Any, Any] | None) -> None:
        self._items = value

    def set_flat(self, flat: list[Any]) -> None:
        """The fast path's SETITEMS on a fresh dict (``flat`` of even length, at most 2 * SMALL items)."""
        self._items = flat
        self.count = len(flat) >> 1

    def update(self, flat: list[Any]) -> None:
        """SETITEMS: ``flat`` alternates keys and values."""
        items = self.items  # first: building the mapping from a flat form pins the count
        self.count += len(flat) >> 1
        if items is not None:
            if self.count > SMALL:
                self._items = None
            else:
                pairs = iter(flat)
                items.update(zip(pairs, pairs, strict=False))  # even length checked by SETITEMS

    def set(self, key: Any, value: Any) -> None:
        items = self.items  # first: building the mapping from a flat form pins the count
        self.count += 1
        if items is not None:
            if self.count > SMALL:
                self._items = None
                return
            items[key] = value

    def __repr__(self) -> str:
        return f"{{{self.count} items}}"


class SetV:
    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0

    def __repr__(self) -> str:
        return f"set({self.count} items)"


def describe(value: Any, limit: int = 120) -> str:
    """A short, safe rendering of a symbolic value for evidence."""
    if isinstance(value, tuple):
        text = "(" + ", ".join(describe(v, 40) for v in value[:6]) + (", …" if len(value) > 6 else "") + ")"
    elif isinstance(value, str | bytes | int | float | bool) or value is None:
        text = repr(value)
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"

"""Commands whose modules load only when they run (or when help lists them).

``weighbridge scan FILE`` is called once per file by pre-commit hooks and CI jobs, so the CLI must not import
and build every command group (audit, registry, fleet, mirror, bundle, serve…) to run one scan. The main
group's command table is a ``LazyCommands`` mapping: the commands defined in ``main.py`` are there from the
start, the others are known by name and module, and the module's ``register(app)`` runs the first time one
of its commands is looked up. ``tests/test_cli_lazy.py`` checks that every name below is what its module
registers, and nothing more.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping
from typing import Any

import typer
from typer.core import TyperGroup

#: command name → the ``weighbridge.cli`` module whose ``register(app)`` defines it, in help order
LAZY_COMMANDS: dict[str, str] = {
    # commands first, then groups: the order typer gave them when every module was registered up front
    "admit": "weighbridge.cli.registry",
    "lock": "weighbridge.cli.integrity",
    "verify": "weighbridge.cli.integrity",
    "sign": "weighbridge.cli.integrity",
    "verify-signature": "weighbridge.cli.integrity",
    "run": "weighbridge.cli.integrity",
    "serve": "weighbridge.cli.serve",
    "audit": "weighbridge.cli.audit",
    "registry": "weighbridge.cli.registry",
    "token": "weighbridge.cli.registry",
    "fleet": "weighbridge.cli.fleet",
    "mirror": "weighbridge.cli.mirror",
    "bundle": "weighbridge.cli.bundle",
}


def registered_commands(module_name: str) -> dict[str, Any]:
    """The click commands ``module_name``'s ``register(app)`` adds to an application, by name."""
    module = importlib.import_module(module_name)
    holder = typer.Typer()
    holder.callback()(_no_options)  # a callback makes typer build a group even for a single command
    module.register(holder)
    group = typer.main.get_command(holder)
    assert isinstance(group, TyperGroup)
    return dict(group.commands)


def _no_options() -> None:
    """The holder group's callback: it takes no options and does nothing; typer only needs one to exist
    so that a module registering a single command still yields a group whose commands can be read."""


class LazyCommands(MutableMapping[str, Any]):
    """The main group's commands: ``loaded`` ones, then the ``LAZY_COMMANDS``, loaded on first lookup."""

    def __init__(self, loaded: MutableMapping[str, Any], lazy: dict[str, str]) -> None:
        self._loaded: dict[str, Any] = dict(loaded)
        self._lazy = dict(lazy)

    def __getitem__(self, name: str) -> Any:
        if name not in self._loaded and name in self._lazy:
            for found, command in registered_commands(self._lazy[name]).items():
                self._loaded.setdefault(found, command)
        return self._loaded[name]

    def __contains__(self, name: object) -> bool:
        return name in self._loaded or name in self._lazy

    def __iter__(self) -> Iterator[str]:
        # the names are fixed before any is loaded: loading one module adds several names to ``_loaded``
        names = [*self._loaded, *(name for name in self._lazy if name not in self._loaded)]
        yield from names

    def __len__(self) -> int:
        return len(self._loaded.keys() | self._lazy.keys())

    def __setitem__(self, name: str, command: Any) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        self._loaded.pop(name, None)
        self._lazy.pop(name, None)


class LazyGroup(TyperGroup):
    """The ``weighbridge`` group: its own commands built at start, the other modules' on use."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = LazyCommands(self.commands, LAZY_COMMANDS)

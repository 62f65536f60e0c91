"""Explicit, opt-in hooks: loaders refuse a local model the registry has not admitted.

``install(transformers=True, torch=True, llama_cpp=True, allow_remote=False, registry=None)`` wraps

* ``transformers.PreTrainedModel.from_pretrained`` and every Auto class's ``from_pretrained``
  (``AutoModel``, ``AutoModelForCausalLM``… each holds its own copy of it): a local folder or file
  must be admitted (the whole folder, then its files load inside ``admitted()``); a hub id that is not a
  local path is refused unless ``allow_remote``;
* ``torch.load``: a path (or a file object with a real ``name``) must be admitted before it is opened; an
  in-memory stream cannot be checked and is refused unless ``allow_streams``;
* ``llama_cpp.Llama.__init__``: ``model_path`` must be admitted.

Libraries that are not installed are skipped; ``install`` returns what it hooked. ``uninstall()`` puts the
original attributes back. Code that took a reference before ``install`` (``from torch import load``) is not
affected: install early.
"""

from __future__ import annotations

import functools
import importlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .core import NotAdmittedError, admitted, require_admitted


@dataclass
class _Settings:
    registry: Any = None
    allow_remote: bool = False
    allow_streams: bool = False


@dataclass(frozen=True)
class _Patch:
    owner: Any
    name: str
    original: Any  # the raw attribute from the owner's __dict__ (a classmethod object stays one)


_settings = _Settings()
_patches: list[_Patch] = []
_lock = threading.Lock()


def install(
    *,
    transformers: bool = True,
    torch: bool = True,
    llama_cpp: bool = True,
    allow_remote: bool = False,
    allow_streams: bool = False,
    registry: Any = None,
) -> tuple[str, ...]:
    """Hook the chosen loaders (those that are installed); returns the hooked names. Calling it again first
    undoes the previous installation."""
    with _lock:
        _uninstall()
        _settings.registry, _settings.allow_remote, _settings.allow_streams = (
            registry,
            allow_remote,
            allow_streams,
        )
        hooked: list[str] = []
        if transformers and _importable("transformers"):
            hooked.extend(_hook_transformers())
        if torch and _importable("torch"):
            hooked.extend(_hook_torch())
        if llama_cpp and _importable("llama_cpp"):
            hooked.extend(_hook_llama_cpp())
        return tuple(hooked)


def uninstall() -> None:
    """Restore every hooked attribute."""
    with _lock:
        _uninstall()


def installed() -> tuple[str, ...]:
    return tuple(
        f"{getattr(p.owner, '__module__', '?')}.{getattr(p.owner, '__qualname__', p.owner)}.{p.name}"
        if isinstance(p.owner, type)
        else f"{p.owner.__name__}.{p.name}"
        for p in _patches
    )


def _uninstall() -> None:
    while _patches:
        patch = _patches.pop()
        setattr(patch.owner, patch.name, patch.original)


def _importable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def _replace(owner: Any, name: str, make: Callable[[Any], Any]) -> str:
    original = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
    _patches.append(_Patch(owner, name, original))
    setattr(owner, name, make(original))
    label = owner.__qualname__ if isinstance(owner, type) else owner.__name__
    return f"{label}.{name}"


# --- transformers -------------------------------------------------------------------------------------------


def _hook_transformers() -> list[str]:
    transformers = importlib.import_module("transformers")
    base = importlib.import_module("transformers.models.auto.auto_factory")._BaseAutoModelClass
    auto = importlib.import_module("transformers.models.auto.modeling_auto")
    # transformers copies from_pretrained onto each Auto class, so each copy is wrapped.
    classes = [
        transformers.PreTrainedModel,
        base,
        *sorted(
            (
                c
                for c in vars(auto).values()
                if isinstance(c, type)
                and issubclass(c, base)
                and c is not base
                and "from_pretrained" in c.__dict__
            ),
            key=lambda c: c.__qualname__,
        ),
    ]
    return [_replace(c, "from_pretrained", _wrap_from_pretrained) for c in classes]


def _wrap_from_pretrained(original: Any) -> Any:
    func = original.__func__  # both are classmethods

    @functools.wraps(func)
    def from_pretrained(cls: Any, *args: Any, **kwargs: Any) -> Any:
        name = args[0] if args else kwargs.get("pretrained_model_name_or_path")
        if name is None:
            return func(cls, *args, **kwargs)  # config-only construction: no weights named
        path = os.fspath(name)
        if not os.path.exists(path):
            if _settings.allow_remote:
                return func(cls, *args, **kwargs)
            raise NotAdmittedError(
                f"{path} is not a local path: a hub model cannot be checked against the "
                "registry before it is downloaded (install(allow_remote=True) lets it through)",
                path=path,
            )
        with admitted(path, registry=_settings.registry):
            return func(cls, *args, **kwargs)

    return classmethod(from_pretrained)


# --- torch --------------------------------------------------------------------------------------------------


def _hook_torch() -> list[str]:
    torch = importlib.import_module("torch")
    return [_replace(torch, "load", _wrap_torch_load)]


def _wrap_torch_load(original: Any) -> Any:
    @functools.wraps(original)
    def load(f: Any, *args: Any, **kwargs: Any) -> Any:
        path = _path_of(f)
        if path is None:
            if not _settings.allow_streams:
                raise NotAdmittedError(
                    "torch.load of an in-memory stream cannot be checked against the registry "
                    "(install(allow_streams=True) lets it through)",
                    path=repr(f),
                )
        else:
            require_admitted(path, registry=_settings.registry)
        return original(f, *args, **kwargs)

    return load


def _path_of(f: Any) -> str | None:
    if isinstance(f, str | bytes | os.PathLike):
        return os.fsdecode(f)
    name = getattr(f, "name", None)
    if isinstance(name, str) and os.path.isfile(name):
        return name
    return None


# --- llama.cpp ----------------------------------------------------------------------------------------------


def _hook_llama_cpp() -> list[str]:
    llama_cpp = importlib.import_module("llama_cpp")
    return [_replace(llama_cpp.Llama, "__init__", _wrap_llama_init)]


def _wrap_llama_init(original: Any) -> Any:
    @functools.wraps(original)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:  # noqa: N807 - it replaces Llama.__init__
        path = args[0] if args else kwargs.get("model_path")
        if path is None:
            raise NotAdmittedError("Llama() without a model_path cannot be checked", path="")
        require_admitted(os.fspath(path), registry=_settings.registry)
        original(self, *args, **kwargs)

    return __init__

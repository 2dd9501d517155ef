"""Attributes of a package imported on first access (PEP 562), so that importing the package
does not import what they need (torch, pandas)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib import import_module


def lazy_attributes(
    package: str, sources: dict[str, str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """The module-level ``__getattr__`` and ``__dir__`` of ``package`` for lazy names.

    Args:
        package: the package's ``__name__``.
        sources: each lazy name mapped to the module that defines it.

    Returns:
        ``(__getattr__, __dir__)``: the first imports a lazy name's module on first access and
        keeps the value in the package's namespace (later accesses do not come back); it
        raises AttributeError for a name the package does not have.
    """

    def __getattr__(name: str) -> object:
        if name not in sources:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(sources[name]), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *sources})

    return __getattr__, __dir__

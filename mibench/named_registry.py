"""A registry of named things: the one type behind mibench's estimator, task, suite and
paper-figure registries.

A :class:`Registry` maps names to objects in registration order. It checks names, refuses a
second object under a taken name (unless told to replace it), answers an unknown name with
a :class:`ValueError` that lists the known ones, and can fill itself lazily: a ``loader``
runs once, on the first lookup or listing (the estimator registry imports the built-in
estimators and the entry points that way).

This module imports nothing heavy (no mibench module, no torch, no pandas).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Objects of one kind under unique names, in registration order.

    Args:
        kind: what the registry names, singular, for messages (``"estimator"``, ``"task"``).
        plural: the plural of ``kind`` (default ``kind + "s"``).
        key: what the names are called in messages: ``"name"`` (``"a suite named 'x' is
            already registered"``, ``"suite name must ..."``) or another noun such as
            ``"id"`` (``"a task with id 'x' is already registered"``, ``"task id must ..."``).
        valid_name: tells whether a string is a well-formed name (default: any string).
        name_rule: what a well-formed name is, completing ``"{kind} {key} must ..."``.
        loader: called once, with no arguments, before the first lookup, membership test,
            listing or iteration; it may register objects (registration never triggers it).

    Example::

        colours: Registry[str] = Registry("colour")
        colours.register("red", "#f00")
        colours.lookup("red")   # '#f00'
        colours.lookup("blue")  # ValueError: unknown colour 'blue'; known colours are red
    """

    def __init__(
        self,
        kind: str,
        *,
        plural: str | None = None,
        key: str = "name",
        valid_name: Callable[[str], bool] | None = None,
        name_rule: str = "be a string",
        loader: Callable[[], None] | None = None,
    ) -> None:
        self.kind = kind
        self.plural = plural or f"{kind}s"
        self._key = key
        self._valid_name = valid_name
        self._name_rule = name_rule
        self._loader = loader
        self._loaded = loader is None
        self._items: dict[str, T] = {}

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {len(self._items)} registered)"

    # -- loading --------------------------------------------------------------------------

    def load(self) -> None:
        """Run the loader if it has not run yet (it runs at most once, even if it fails or
        looks names up while it runs)."""
        if self._loaded:
            return
        self._loaded = True
        if self._loader is not None:
            self._loader()

    @property
    def loaded(self) -> bool:
        """Whether the loader has run (always true without one)."""
        return self._loaded

    # -- registration ---------------------------------------------------------------------

    def check(self, name: str, obj: object = None, *, replace: bool = False) -> None:
        """Check that ``name`` is well formed and free for ``obj`` (without registering).

        A name is free when nothing is registered under it, when ``obj`` is the very object
        registered under it, or when ``replace`` is true.

        Raises:
            ValueError: ``"{kind} {key} must {name_rule}, got ..."`` for a malformed name;
                ``"a {kind} named {name!r} is already registered"`` when it is taken (``an``
                before a vowel; ``"with {key}"`` for "named" when the key is not "name").
        """
        if not isinstance(name, str) or (
            self._valid_name is not None and not self._valid_name(name)
        ):
            raise ValueError(f"{self.kind} {self._key} must {self._name_rule}, got {name!r}")
        if name in self._items and not replace and self._items[name] is not obj:
            named = "named" if self._key == "name" else f"with {self._key}"
            article = "an" if self.kind[:1].lower() in "aeiou" else "a"
            raise ValueError(f"{article} {self.kind} {named} {name!r} is already registered")

    def register(self, name: str, obj: T, *, replace: bool = False) -> T:
        """Register ``obj`` under ``name`` and return it.

        Registering the same object again is a no-op; a replaced object keeps its place in
        the registration order.

        Raises:
            ValueError: for a malformed name, or a name taken by another object when
                ``replace`` is false (:meth:`check`).
        """
        self.check(name, obj, replace=replace)
        self._items[name] = obj
        return obj

    def unregister(self, name: str) -> T:
        """Remove the object registered under ``name`` and return it.

        Raises:
            ValueError: for an unknown name (:meth:`lookup`).
        """
        obj = self.lookup(name)
        del self._items[name]
        return obj

    # -- lookup ---------------------------------------------------------------------------

    def unknown(self, name: object) -> ValueError:
        """The error for an unknown ``name``: ``"unknown {kind} {name!r}; known {plural}
        are a, b, c"`` (sorted; ``"none are registered"`` when empty)."""
        names = sorted(self._items)
        known = f"known {self.plural} are {', '.join(names)}" if names else "none are registered"
        return ValueError(f"unknown {self.kind} {name!r}; {known}")

    def lookup(self, name: str) -> T:
        """The object registered under ``name``.

        Raises:
            ValueError: for an unknown (or unhashable) name, naming it and listing the known
                ones (:meth:`unknown`).
        """
        self.load()
        try:
            return self._items[name]
        except (KeyError, TypeError):
            raise self.unknown(name) from None

    def get(self, name: str) -> T | None:
        """The object registered under ``name``, or ``None`` (also for a non-string)."""
        self.load()
        return self._items.get(name) if isinstance(name, str) else None

    def __contains__(self, name: object) -> bool:
        self.load()
        return isinstance(name, str) and name in self._items

    def __len__(self) -> int:
        self.load()
        return len(self._items)

    def __iter__(self) -> Iterator[str]:
        """The names, in registration order."""
        self.load()
        return iter(list(self._items))

    def names(self) -> list[str]:
        """The registered names, in registration order (``sorted(registry)`` sorts them)."""
        self.load()
        return list(self._items)

    def values(self) -> list[T]:
        """The registered objects, in registration order."""
        self.load()
        return list(self._items.values())

    def items(self) -> list[tuple[str, T]]:
        """``(name, object)`` pairs, in registration order."""
        self.load()
        return list(self._items.items())


__all__ = ["Registry"]

"""The public surface of a subpackage, served lazily (PEP 562).

A subpackage's ``__init__`` names what other packages may use: ``public`` maps a name to the module of the
package that holds it, ``modules`` lists the modules used as a whole. ``lazy_attributes`` returns the
package's ``__getattr__``: a name is imported from its module on first use, so importing a package builds
nothing and packages that use each other both ways do not import each other at import time.
``tests/test_architecture.py`` reads these two literals to check that no other package reaches past them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_attributes(package: str, public: Mapping[str, str], modules: tuple[str, ...] = ()) -> Callable[[str], Any]:
    """The ``__getattr__`` of ``package``: ``public`` names from their modules, ``modules`` themselves."""

    def __getattr__(name: str) -> Any:
        if name in public:
            return getattr(importlib.import_module(f"{package}.{public[name]}"), name)
        if name in modules:
            return importlib.import_module(f"{package}.{name}")
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__

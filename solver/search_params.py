"""Search tuning: ``SearchParams``, a typed, frozen set of knobs of the ruin-and-recreate search.

``SolveOptions.search`` carries it; the defaults are the measured, shipped settings (see
``solver/README.md``, "Search"), so a caller never needs to touch it. It exists for experiments:
``SearchParams.from_file(path)`` reads a JSON (``.json``) or TOML (``.toml``) file of the fields
to change (``python -m solver ... --search-params FILE``). It travels with the options, so portfolio
members and decomposition workers (child processes) search with the same settings. Bad values
raise ``ProblemError`` naming the field. Pure standard library.
"""

from __future__ import annotations

import dataclasses
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .problem import ProblemError

# OR-Tools local search operators left out of the model (first search and repair descents) when ``repair_operators`` is
# "light" (names of ``RoutingSearchParameters.local_search_operators`` fields).
HEAVY_OPERATORS = (
    "use_global_cheapest_insertion_path_lns",
    "use_local_cheapest_insertion_path_lns",
    "use_relocate_path_global_cheapest_insertion_insert_unperformed",
    "use_global_cheapest_insertion_visit_types_lns",
    "use_local_cheapest_insertion_visit_types_lns",
    "use_relocate_expensive_chain",
    "use_make_chain_inactive",
    "use_shortest_path_swap_active",
    "use_swap_active_chain",
    "use_shortest_path_two_opt",
)


@dataclass(frozen=True, slots=True)
class SearchParams:
    """Knobs of the search in ``model_search.py`` / ``ruin_recreate.py`` (defaults = the shipped settings).

    The ruin-and-recreate loop only runs when the solve is stopped by its time limit (never with a
    ``solution_limit``), so none of these change a run with a ``solution_limit``.
    """

    # Ruin-and-recreate after a plain guided local search; False = the plain search all the time.
    lns: bool = True
    # Above this many visits, no ruin-and-recreate (each repair descent is too slow to pay off).
    lns_max_visits: int = 400
    # Share of the time given to the plain search before ruin-and-recreate starts.
    first_fraction: float = 0.1
    # Most visits removed by one ruin (a ruin removes between max(2, ruin_size // 3) and this).
    ruin_size: int = 15
    # Who re-inserts removed visits on simple models: "py" (``insertion.py``) or "ort" (OR-Tools,
    # as for complex models).
    repair: str = "py"
    # With the OR-Tools repair: re-insert in Python first (cheapest positions), then descend.
    python_insertion: bool = True
    # Record-to-record threshold of the OR-Tools repair loop (share of the best, shrinking to 0).
    ortools_threshold: float = 0.01
    # Thresholds of the Python loop, one per portfolio member (member m uses [m % len]): with time
    # windows, and without.
    python_thresholds_timed: tuple[float, ...] = (0.05, 0.01)
    python_thresholds_untimed: tuple[float, ...] = (0.01,)
    # Share of string (SISR) ruins in the Python loop; the others remove a cluster of neighbours.
    string_share: float = 0.5
    # Routes tried first for a visit: those serving one of its this-many nearest visits (0 = all).
    granular: int = 20
    # Optional visits left out are tried again after a ruin only when among this many nearest visits of a
    # removed one (0 = all of them, after every ruin).
    retry_near: int = 10
    # "light" leaves ``heavy_operators`` out of the model's OR-Tools local search: the first search and every
    # repair descent (OR-Tools fixes the operators when the first search closes the model; benchmarking only).
    repair_operators: str = "all"
    heavy_operators: tuple[str, ...] = HEAVY_OPERATORS
    # OR-Tools local search (first search and repair descents): moves only towards this many nearest nodes (0 = all).
    repair_neighbors: int = 0
    # One line per search on stderr (iterations, improvements, best objective, settings).
    log: bool = False

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            _check_type(f.name, getattr(self, f.name), f.type)
        for name in ("lns_max_visits", "ruin_size", "granular", "retry_near", "repair_neighbors"):
            if getattr(self, name) < 0:
                raise ProblemError(f"search.{name}: {getattr(self, name)} must be >= 0")
        if self.ruin_size < 2:
            raise ProblemError(f"search.ruin_size: {self.ruin_size} must be at least 2")
        for name in ("first_fraction", "ortools_threshold", "string_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ProblemError(f"search.{name}: {getattr(self, name)} must lie in [0, 1]")
        for name in ("python_thresholds_timed", "python_thresholds_untimed"):
            values = getattr(self, name)
            if not values or any(not 0.0 <= x <= 1.0 for x in values):
                raise ProblemError(f"search.{name}: {values!r} must be one or more shares in [0, 1]")
        if self.repair not in ("py", "ort"):
            raise ProblemError(f"search.repair: {self.repair!r} must be 'py' or 'ort'")
        if self.repair_operators not in ("all", "light"):
            raise ProblemError(f"search.repair_operators: {self.repair_operators!r} must be 'all' or 'light'")

    def python_thresholds(self, timed: bool) -> tuple[float, ...]:
        """The Python loop's thresholds for a problem with (``timed``) or without time windows."""
        return self.python_thresholds_timed if timed else self.python_thresholds_untimed

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SearchParams:
        """The defaults with the fields of ``data`` changed (lists become tuples)."""
        if not isinstance(data, dict):
            raise ProblemError(f"search parameters: expected a table of fields, got {type(data).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ProblemError(
                f"search parameters: unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        return cls(**values)

    @classmethod
    def from_file(cls, path: str | Path) -> SearchParams:
        """Read a ``.json`` object or a ``.toml`` document of fields to change (see ``from_dict``)."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ProblemError(f"search parameters: cannot read {path}: {exc.strerror or exc}") from exc
        try:
            data = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
        except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
            kind = "TOML" if path.suffix.lower() == ".toml" else "JSON"
            raise ProblemError(f"search parameters: {path} is not valid {kind}: {exc}") from exc
        return cls.from_dict(data)


def _check_type(name: str, value: object, annotation: object) -> None:
    """``value`` matches the field's annotation (bool, int, float, str or a tuple of float/str)."""
    expected = str(annotation)
    if expected == "bool":
        ok = isinstance(value, bool)
    elif expected == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif expected == "float":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif expected == "str":
        ok = isinstance(value, str)
    else:  # tuple[float, ...] / tuple[str, ...]
        item = float if "float" in expected else str
        ok = isinstance(value, tuple) and all(
            isinstance(x, item) or (item is float and isinstance(x, int) and not isinstance(x, bool)) for x in value
        )
    if not ok:
        raise ProblemError(f"search.{name}: {value!r} is not of type {expected}")

"""Packed weights: one float64 carries both the travel time and the length of a path.

One Dijkstra run then yields both the travel time and the length of the same path, exactly:

* time-major weight  ``w = t_ms + l_dm * 2**-24``  (integer milliseconds, integer decimetres)
* length-major weight ``w = l_dm + t_ms * 2**-29``

Every edge weight is a dyadic number with at most 53 significant bits, so the sums computed by
``scipy.sparse.csgraph.dijkstra`` are exact as long as a path stays under 2**29 ms (149 h) and
2**24 dm (1,677 km). The fastest path wins; among equally fast paths the shortest one wins.
``floor(w)`` is the time and ``frac(w) * 2**24`` the length along that path.
"""

from __future__ import annotations

from typing import Any

import numpy as np

T_FRAC = 2.0**-24  # length (dm) packed below time (ms)
L_FRAC = 2.0**-29  # time (ms) packed below length (dm)


def pack_time(ms: np.ndarray | int, dm: np.ndarray | int) -> Any:
    """Time-major weight(s) of ``ms`` milliseconds and ``dm`` decimetres."""
    w = np.asarray(ms, dtype=np.float64) + np.asarray(dm, dtype=np.float64) * T_FRAC
    return np.maximum(w, T_FRAC)  # no zero weights (csgraph could treat them as non-edges)


def pack_len(ms: np.ndarray | int, dm: np.ndarray | int) -> Any:
    """Length-major weight(s) of ``ms`` milliseconds and ``dm`` decimetres."""
    w = np.asarray(dm, dtype=np.float64) + np.asarray(ms, dtype=np.float64) * L_FRAC
    return np.maximum(w, L_FRAC)


def unpack_time(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ms, dm) of time-major weights."""
    ms = np.floor(w)
    return ms, (w - ms) / T_FRAC


def unpack_len(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ms, dm) of length-major weights."""
    dm = np.floor(w)
    return (w - dm) / L_FRAC, dm

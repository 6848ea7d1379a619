"""Matrices for the pairs that are needed only: a provider of square sub-matrices over a site list.

``RoadNetwork.matrices(sites)`` returns full N x N lists of Python ints. Measured with
``scripts/bench_scale.py``-style sites: a matrix as lists (or tuples) of Python ints costs about
36 bytes an entry (8 for the pointer, 28 for an int above 256), so 5,000 sites need ~0.9 GB per
matrix and 1.8 GB for durations + distances, before OR-Tools copies them; 1,000 sites need ~72 MB.
Decomposition (``solver.decompose.solve_decomposed``) therefore takes a *provider*: a callable
giving the square sub-matrix of any list of location indices, computed on demand (a cluster of
150 sites: 22,500 pairs) by the same cached multi-source Dijkstra, so the numbers are the same as
in a full matrix.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from dispatch.roads.network import RoadNetwork, SnappedSite

BYTES_PER_ENTRY = 36  # a Python int above 256 (28 bytes) plus its pointer in a list/tuple (8)

SubMatrix = tuple[list[list[int]], list[list[int]]]


def full_matrix_bytes(n_sites: int) -> int:
    """Approximate memory of full duration + distance matrices as lists of Python ints."""
    return 2 * n_sites * n_sites * BYTES_PER_ENTRY


def matrix_provider(
    network: RoadNetwork, sites: Sequence[SnappedSite], *, travel_factor: float = 1.0
) -> Callable[[Sequence[int]], SubMatrix]:
    """``provider(locs)`` -> (durations, distances) between ``sites[i] for i in locs`` (in that order).

    Durations are multiplied by ``travel_factor`` and rounded, as ``planning.build_day`` does."""
    sites = list(sites)

    def provider(locs: Sequence[int]) -> SubMatrix:
        m = network.matrices([sites[i] for i in locs])
        durations = [[round(x * travel_factor) for x in row] for row in m.durations] if travel_factor != 1.0 \
            else m.durations
        return durations, m.distances

    return provider

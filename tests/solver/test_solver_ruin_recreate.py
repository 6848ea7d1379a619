"""The Python ruin-and-recreate loop (``solver/ruin_recreate.py``): what a ruin removes and tries again, and in
which order the visits go back."""

from __future__ import annotations

import random

import pytest
from solver_testlib import ROOT  # noqa: F401  (puts the repo on sys.path)

from solver import insertion, ruin_recreate

MUST = 10**12


def _one_van_context() -> insertion.Context:
    """One van of capacity 3 serving F (nothing to load), mandatory M (2 units) and optional O1 (1 unit);
    optional O2 (2 units), left out so far, is cheap to serve: put back before M, it takes M's room."""
    n = 5
    d = [[0 if a == b else 5 for b in range(n)] for a in range(n)]
    return insertion.Context(
        visit_idx=[0, 1, 2, 3],
        time=d,
        lo=[0] * 4,
        hi=[400] * 4,
        demand=[(2,), (1,), (2,), (0,)],
        allowed=[frozenset({0})] * 4,
        starts=[4],
        ends=[4],
        shift=[(0, 400)],
        room=[(3,)],
        fixed=[0],
        cost=[d],
        dist_from_start=[1] * 4,
        pen=[float("inf"), 1000.0, 1000.0, float("inf")],
    )


@pytest.mark.parametrize("seed", range(16))
def test_a_ruined_mandatory_visit_goes_back_before_the_optional_ones(seed):
    """Before, only the mandatory visits left out before the ruin went back first; one the ruin had just removed
    took its chance among the optional ones, and on the real days most candidates lost a mandatory visit and
    were thrown away."""
    m, o1, o2, f = 0, 1, 2, 3
    ctx = _one_van_context()
    routes = ruin_recreate.put_back(ctx, [[f]], [m, o1], [o2], [MUST, 1000, 1000, MUST], random.Random(seed))
    assert m in routes[0], routes
    assert all(insertion.feasible(ctx, k, r) for k, r in enumerate(routes))


def test_a_ruin_retries_only_the_optional_visits_left_out_near_it():
    """Every visit left out used to be tried again after every ruin: on a 300-visit day about 180 optional
    relay points not worth their detour, in routes the ruin had not touched, most of each iteration's time.
    Now an optional one goes back in the running only when it is among the ``retry_near`` nearest visits of a
    removed one; a mandatory one left out always does."""
    n_vis = 8
    # visits on a line: u at position u; 0..3 served on one van, 4..7 left out (7 mandatory)
    d = [[abs(a - b) for b in range(n_vis + 1)] for a in range(n_vis + 1)]
    ctx = insertion.Context(
        visit_idx=list(range(n_vis)),
        time=d,
        lo=[0] * n_vis,
        hi=[10**6] * n_vis,
        demand=[(1,)] * n_vis,
        allowed=[frozenset({0})] * n_vis,
        starts=[n_vis],
        ends=[n_vis],
        shift=[(0, 10**6)],
        room=[(100,)],
        fixed=[0],
        cost=[d],
        dist_from_start=[1] * n_vis,
    )
    penalty = [10] * 7 + [MUST]
    near = [sorted(range(n_vis), key=lambda j, u=u: (abs(u - j), j)) for u in range(n_vis)]
    retried: set[int] = set()
    for seed in range(20):
        removed, out = ruin_recreate._ruin(
            ctx, [[0, 1, 2, 3]], penalty, near, random.Random(seed), kmax=3, string_share=0.0, retry_near=3
        )
        zone = {v for u in removed for v in near[u][:3]}
        assert 7 in out  # mandatory: always
        assert {v for v in out if v != 7} == {4, 5, 6} & zone, (removed, out)
        retried |= set(out)
    assert 4 in retried  # the one next to the van's last visit, when a ruin took that visit


def test_a_candidate_is_given_up_as_soon_as_a_mandatory_visit_finds_no_place():
    """On a 300-visit day about a third of the candidates lost a mandatory visit, and each was completed with
    every optional visit before being thrown away. Walking from a plan that serves every mandatory visit, the
    search now gives such a candidate up before the optional visits go back (``put_back`` returns None)."""
    m, o1, o2, f = 0, 1, 2, 3
    ctx = _one_van_context()
    penalty = [MUST, 1000, 1000, MUST]
    # the van already carries O2 and F: M (2 units) no longer fits in the room left (3 - 2)
    for seed in range(8):
        assert ruin_recreate.put_back(ctx, [[o2, f]], [m, o1], [], penalty, random.Random(seed), give_up=True) is None
    # without give_up (the plan walked from already leaves a mandatory visit out) the candidate is completed
    routes = ruin_recreate.put_back(ctx, [[o2, f]], [m, o1], [], penalty, random.Random(0))
    assert routes is not None and m not in routes[0] and o1 in routes[0], routes

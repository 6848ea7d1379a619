"""Multi-depot days, regions, and planning jobs' live progress and cancellation (dispatch/planning/scale.py, jobs.py)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select

DAY = dt.date(2026, 12, 1)
SOUTH = ("Dépôt Sud (Porte d'Orléans)", 48.8236, 2.3256)


def add_south_depot(session) -> None:
    """Split the demo in two regions: the demo depot is "north"; a second depot in the south of Paris
    ("south") gets every other van."""
    from dispatch.models import Depot, Van

    north = session.scalars(select(Depot).order_by(Depot.id)).first()
    north.region = "north"
    south = Depot(name=SOUTH[0], address="Porte d'Orléans, 75014 Paris", lat=SOUTH[1], lon=SOUTH[2], region="south")
    session.add(south)
    session.flush()
    for i, van in enumerate(session.scalars(select(Van).order_by(Van.id)).all()):
        if i % 2:
            van.depot = south
    session.flush()


@pytest.fixture
def two_regions(db_engine):
    from dispatch.db import session_scope
    from dispatch.demo import seed_demo

    with session_scope(db_engine) as s:
        seed_demo(DAY, session=s)
        add_south_depot(s)
    return db_engine


def test_each_van_starts_and_ends_at_its_own_depot(two_regions, settings, paris_network):
    from dispatch.db import session_scope
    from dispatch.planning.day import build_day

    with session_scope(two_regions) as s:
        dp = build_day(DAY, settings, paris_network, session=s)
        p = dp.problem
        assert p.validate() is None
        starts = {}
        for v in p.vehicles:
            van = dp.vehicles[v.id].van
            assert v.start == v.end == v.reload_location
            starts.setdefault(van.depot_id, set()).add(v.start)
        assert len(starts) == 2 and all(len(locs) == 1 for locs in starts.values())
        assert len({next(iter(locs)) for locs in starts.values()}) == 2  # two different matrix locations
        # the second depot is a real place on the map: the matrix row is not the first depot's
        a, b = (next(iter(locs)) for locs in starts.values())
        assert p.durations[a][b] > 0 and p.durations[b][a] > 0


def test_regions_partition_the_day(two_regions, settings, paris_network):
    from dispatch.db import session_scope
    from dispatch.errors import InvalidInput
    from dispatch.planning.day import build_day
    from dispatch.planning.scale import prepare

    with session_scope(two_regions) as s:
        whole = build_day(DAY, settings, paris_network, session=s)
        parts = prepare(DAY, settings, paris_network, session=s)
        assert [p.region for p in parts] == ["north", "south"]
        keys = [set(p.candidates) for p in parts]
        assert keys[0] and keys[1] and not keys[0] & keys[1]
        # every relay point and pickup of the day is in exactly one region (the horizon rule may
        # choose differently per region, so compare the candidates before it: decisions + pickups)
        considered = [set(p.decisions) | {k for k in p.candidates if k.startswith("pu:")} for p in parts]
        assert not considered[0] & considered[1]
        assert considered[0] | considered[1] == set(whole.decisions) | {k for k in whole.candidates if k.startswith("pu:")}
        vans = [{v for v, _ in p.vehicles.values()} for p in parts]
        assert not vans[0] & vans[1] and len(vans[0] | vans[1]) == len(whole.vehicles)
        with pytest.raises(InvalidInput) as err:
            prepare(DAY, settings, paris_network, session=s, regions=["west"])
        assert err.value.field == "regions" and "'north'" in err.value.message


def _run(engine, settings, network, regions=None, time_limit_s=30.0):
    from dispatch.db import session_scope
    from dispatch.jobs.records import create_job
    from dispatch.jobs.runner import run_job

    with session_scope(engine) as s:
        job_id = create_job(DAY, session=s, time_limit_s=time_limit_s, regions=regions).id
    run_job(job_id, engine=engine, settings=settings, network=network)
    return job_id


def test_a_multi_region_job_equals_planning_regions_in_process(two_regions, settings, paris_network):
    from dispatch.db import session_scope
    from dispatch.models import JobStatus, Plan, PlanJob
    from dispatch.planning.scale import plan_regions

    fixed = settings.model_copy(update={"solve_solution_limit": 30})
    job_id = _run(two_regions, fixed, paris_network)
    with session_scope(two_regions) as s:
        job = s.get(PlanJob, job_id)
        assert job.status is JobStatus.SUCCEEDED, job.error
        assert job.progress["regions_total"] == 2 and set(job.progress["regions"]) == {"north", "south"}
        assert all(r["done"] for r in job.progress["regions"].values())
        plan = s.get(Plan, job.plan_id)
        by_job = [[st.kind.value for st in r.stops] for r in plan.rounds], plan.cost, plan.distance_m
        depots = {r.van.depot_id for r in plan.rounds}
        assert len(depots) == 2
        again = plan_regions(DAY, fixed, paris_network, session=s, time_limit_s=30)
        assert ([[st.kind.value for st in r.stops] for r in again.rounds], again.cost, again.distance_m) == by_job


def test_job_for_one_region_plans_only_its_vans(two_regions, settings, paris_network):
    from dispatch.db import session_scope
    from dispatch.models import JobStatus, Plan, PlanJob

    fixed = settings.model_copy(update={"solve_solution_limit": 20})
    job_id = _run(two_regions, fixed, paris_network, regions=["south"])
    with session_scope(two_regions) as s:
        job = s.get(PlanJob, job_id)
        assert job.status is JobStatus.SUCCEEDED, job.error
        plan = s.get(Plan, job.plan_id)
        assert plan.rounds and {r.van.depot.region for r in plan.rounds} == {"south"}


def test_progress_is_visible_while_running_and_cancel_stops_the_search(seeded_engine, settings, paris_network,
                                                                       monkeypatch):
    """A running job shows its best cost so far; cancelling it stops the search long before its time limit."""
    import dispatch.jobs.runner
    from dispatch.db import session_scope
    from dispatch.jobs.records import cancel_job, create_job
    from dispatch.jobs.runner import run_job
    from dispatch.models import JobStatus, Plan, PlanJob

    reported = threading.Event()
    original = dispatch.jobs.runner._Reporter.write

    def write(self, entry):
        original(self, entry)
        if not entry.get("done"):
            reported.set()

    monkeypatch.setattr(dispatch.jobs.runner._Reporter, "write", write)
    with session_scope(seeded_engine) as s:
        job_id = create_job(DAY, session=s, time_limit_s=120).id
    worker = threading.Thread(target=run_job, args=(job_id,),
                              kwargs={"engine": seeded_engine, "settings": settings, "network": paris_network})
    worker.start()
    try:
        assert reported.wait(timeout=90), "no progress was recorded"
        with session_scope(seeded_engine) as s:
            job = s.get(PlanJob, job_id)
            assert job.status is JobStatus.RUNNING and job.phase == "solving"
            assert job.progress["best_cost"] > 0 and job.progress["solutions"] >= 1
            cancel_job(job_id, session=s)
    finally:
        worker.join(timeout=60)
    assert not worker.is_alive(), "the search did not stop after the cancellation"
    with session_scope(seeded_engine) as s:
        job = s.get(PlanJob, job_id)
        assert job.status is JobStatus.CANCELLED and job.plan_id is None
        assert (job.finished_at - job.started_at).total_seconds() < 60
        assert s.scalars(select(Plan)).all() == []


@pytest.fixture
def seeded_engine(db_engine):
    from dispatch.db import session_scope
    from dispatch.demo import seed_demo

    with session_scope(db_engine) as s:
        seed_demo(DAY, session=s)
    return db_engine


def test_planning_jobs_and_regions_use_the_same_solver_options_as_dispatch_plan():
    """A planning job (``scale.options_for``) searches with the workers ``dispatch plan`` uses
    (``Settings.solve_workers``), not always one."""
    from dispatch.planning.day import solve_options
    from dispatch.planning.scale import options_for
    from dispatch.settings import Settings

    for workers in (1, 2):
        settings = Settings(database_url="sqlite://", solve_workers=workers)
        assert options_for(settings, 7.0, 3) == solve_options(settings, 7.0, 3)
        assert options_for(settings, 7.0, 3).workers == workers


def test_regions_solved_one_at_a_time_store_every_unassigned_reason(two_regions, settings, paris_network):
    """Parts are kept without their problem once solved (a Celery region task returns them so, and planning
    in-process now too, holding one region's matrices at a time): storing must not need the problem. A
    pickup bigger than every van is stored unassigned for capacity with the largest van's m³ (storing it
    used to read the problem's vehicles: an AttributeError on a fanned-out day)."""
    from dispatch.db import session_scope
    from dispatch.models import PickupRequest, PickupStatus, Plan, Slot, Van
    from dispatch.planning import scale

    with session_scope(two_regions) as s:
        s.add(PickupRequest(ref="PU-HUGE0001", donor_name="x", phone="0600000000", address="a", postcode="75014",
                            lat=48.8262, lon=2.3270, volume_m3=30.0, date=DAY, slot=Slot.MORNING,
                            status=PickupStatus.ACCEPTED))
    fixed = settings.model_copy(update={"solve_solution_limit": 20})
    with session_scope(two_regions) as s:
        parts, solutions = [], []
        for part in scale.iter_parts(DAY, fixed, paris_network, session=s):
            solutions.append(scale.solve_part(part, scale.options_for(fixed, 30, 1)))
            parts.append(part.without_problem())
        plan = scale.store(parts, solutions, 30, session=s)
        largest = max(v.capacity_m3 for v in s.scalars(select(Van)))
        huge = next(u for u in plan.unassigned if u.pickup_request and u.pickup_request.ref == "PU-HUGE0001")
        assert huge.reason == "capacity" and huge.params == {"m3": 30.0, "largest_m3": largest}
        assert s.get(Plan, plan.id).rounds

"""Generated collection days for the benchmarks (``bench_days.py``, ``bench_scale.py``): crewed vans and
relay points / home pickups at given places, made from the demo's records the way the product stores them.

Every random draw is taken from the caller's ``random.Random`` in a fixed order, so a benchmark's
instances (and the fingerprints of ``bench_days.py``'s references) stay the same from run to run.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

SHOP_HOURS = [{"days": [0, 1, 2, 3, 4, 5], "open": "09:30", "close": "12:30"},
              {"days": [0, 1, 2, 3, 4, 5], "open": "14:00", "close": "19:00"}]


def add_crewed_van(session, depot, k: int, rng: random.Random) -> None:
    """Van number ``k + 1`` (12, 16 or 20 m³; a tail lift on every other one) and its crew: 30 % start at
    07:30, the others at 08:00, for eight hours, with a 30- or 45-minute lunch between 11:30 and 13:30."""
    from dispatch.models import Crew, Van

    cap = (20.0, 12.0, 16.0)[k % 3]
    van = Van(name=f"Van {k + 1}", plate=f"GX-{k + 100}-ED", capacity_m3=cap, depot=depot,
              skills=["tail_lift"] if k % 2 == 0 else [])
    session.add(van)
    early = rng.random() < 0.3
    session.add(Crew(name=f"Équipe {k + 1}", members=[f"A{k}", f"B{k}"], van=van,
                     shift_start_min=7 * 60 + 30 if early else 8 * 60,
                     shift_end_min=15 * 60 + 30 if early else 16 * 60,
                     break_minutes=rng.choice([30, 45]), break_earliest_min=11 * 60 + 30,
                     break_latest_min=13 * 60 + 30))


def add_visits(session, rng: random.Random, *, relay_points: int, pickups: int, place: Callable[[int], dict],
               pickup_offset: int, day: dt.date, now: dt.datetime, width: int) -> None:
    """``relay_points`` relay points at ``place(0..)`` (15 % reported full, the others 30-95 % full; 40 %
    shops open in two windows) and ``pickups`` home pickups with a morning or afternoon slot at
    ``place(pickup_offset + j)``; codes and references ``GEN-`` and ``width`` digits."""
    from dispatch.demo import add_pickup, add_relay_point, load_demo

    data = load_demo()
    for i in range(relay_points):
        t = data["relay_points"][i % len(data["relay_points"])]
        cap = t["capacity_m3"]
        full = rng.random() < 0.15
        hours = SHOP_HOURS if rng.random() < 0.4 else t["opening_hours"]
        add_relay_point(t, session=session, now=now, full=full,
                        stock_m3=cap if full else round(cap * rng.uniform(0.3, 0.95), 2), opening_hours=hours,
                        code=f"GEN-{i:0{width}d}", name=f"{t['name']} ({i})", **place(i))
    for j in range(pickups):
        t = data["pickups"][j % len(data["pickups"])]
        add_pickup(t, day, session=session, ref=f"GEN-{j:0{width}d}", volume_m3=round(rng.uniform(0.5, 3.5), 1),
                   slot=rng.choice(["morning", "afternoon"]), **place(pickup_offset + j))

"""A round kept by force despite a broken rule, and a visit dropped by hand, said in the page's language
with the visit's name and address."""

from __future__ import annotations

import datetime as dt

from dispatch.demo import seed_demo
from dispatch.documents import plan_texts
from dispatch.documents.manifests import render_html
from dispatch.planning import editing
from dispatch.planning.day import plan_day
from dispatch.planning.views import plan_view
from tests.documents.language_check import foreign_text

DAY = dt.date(2026, 12, 1)


def test_forced_move_and_drop_are_said_in_french_and_english(session, settings, paris_network):
    fast = settings.model_copy(update={"solve_solution_limit": 40})
    seed_demo(DAY, session=session)
    plan = plan_day(DAY, fast, paris_network, session=session, time_limit_s=3, seed=1)
    rounds = [r for r in plan.rounds if any(s.pickup_request_id for s in r.stops)]
    morning = next(s for r in rounds for s in r.stops
                   if s.pickup_request is not None and s.pickup_request.slot.value == "morning")
    target = max(rounds, key=lambda r: r.end_at)
    editing.move_stop(plan.id, morning.id, target.id, None, fast, paris_network, session=session, version=1,
                      actor="alice", force=True)
    view = plan_view(plan)
    pu = morning.pickup_request
    label = f"{pu.donor_name} ({pu.address})"
    fr = plan_texts.explanation(view, "fr")
    assert fr.startswith("tournées gardées de force malgré des règles non respectées\u00a0: ")
    assert f"{label}\u00a0: en dehors de son créneau" in fr
    en = plan_texts.explanation(view, "en")
    assert f"{label}: outside its time window" in en
    for lang in ("fr", "en"):
        html = render_html("day.html", lang=lang, day=DAY, view=view, svg="", round_links={}, colours=["#000"] * 9,
                           message=None, suffix="", time_limit=3, balance_default=False, vans_out=(),
                           request_path="/jour")
        assert foreign_text(html, lang) == [], lang
        assert "pu:" not in html and "rp:" not in html
    relay = next(s for r in plan.rounds for s in r.stops if s.relay_point is not None and not s.relay_point.full)
    editing.drop_stop(plan.id, relay.id, fast, paris_network, session=session, version=plan.version, actor="alice",
                      force=True)
    un = next(u for u in plan.unassigned if u.reason == "dropped")
    assert plan_texts.unassigned_text(un.reason, un.params, "fr") == "retiré du plan à la main par alice"
    assert plan_texts.unassigned_text(un.reason, un.params, "en") == "taken out of the plan by hand by alice"

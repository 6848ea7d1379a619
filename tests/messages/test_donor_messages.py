"""Donor messages through a real local SMTP server and a local HTTP SMS receiver: each message arrives once,
in the donor's language, with the right visit window; a server that is down means retries, never a lost or a
duplicated message; a donor who opted out gets nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from dispatch.field import events as driver
from dispatch.pickups import changes as pickup_changes
from dispatch.db import session_scope
from dispatch.demo import seed_demo
from dispatch.messages import outbox, worker
from dispatch.models import DonorMessage, PickupRequest, Slot, StopKind, utcnow
from dispatch.pickups.requests import PickupInput, create_pickup, rule_context, rules_config
from dispatch.planning.day import plan_day
from dispatch.planning.plans import publish_plan
from tests.messages.servers import SmsReceiver, SmtpServer, free_port

DAY = dt.date(2026, 12, 1)  # Tuesday: the demo day
TODAY = dt.date(2026, 11, 24)
EVE = dt.datetime(2026, 11, 30, 16, 0)  # UTC: 17:00 in Paris the day before


@pytest.fixture
def smtp():
    server = SmtpServer(free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def sms():
    receiver = SmsReceiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def msettings(settings, smtp, sms):
    return settings.model_copy(update={
        "smtp_host": "127.0.0.1", "smtp_port": smtp.port, "smtp_starttls": False,
        "smtp_sender": "Amistock <collecte@amistock.test>", "sms_gateway_url": sms.url,
        "sms_gateway_secret": __import__("pydantic").SecretStr("s3cret"), "messages_backoff_s": 60.0,
        "messages_max_attempts": 3, "base_url": "https://dons.example.org", "solve_solution_limit": 40})


def _book(session, settings, network, *, lang="fr", email="donatrice@example.org", opt_out=False):
    request = PickupInput(donor_name="Mme Durand", phone="06 12 34 56 78", address="12 rue de Belleville",
                          postcode="75020", lat=48.8721, lon=2.3770, volume_m3=3.0, date=dt.date(2026, 12, 2),
                          slot=Slot.MORNING, categories=("furniture",), floor=2, has_lift=True, email=email,
                          lang=lang, messages_opt_out=opt_out)
    ctx = rule_context(session=session, settings=settings, network=network, today=TODAY)
    record, decision = create_pickup(request, config=rules_config(settings), ctx=ctx, session=session)
    assert decision.accepted
    return record


def _statuses(engine):
    with session_scope(engine) as s:
        return [(m.kind, m.channel, m.status.value, m.attempts) for m in s.scalars(select(DonorMessage)
                                                                              .order_by(DonorMessage.id))]


def test_the_confirmation_arrives_once_by_email_and_sms_in_french(db_engine, msettings, paris_network, smtp, sms):
    with session_scope(db_engine) as s:
        seed_demo(DAY, session=s)
        ref = _book(s, msettings, paris_network).ref
    stats = worker.run(db_engine, msettings)
    assert (stats.sent, stats.failed) == (2, 0)
    assert worker.run(db_engine, msettings).attempted == 0  # a second round sends nothing again
    assert len(smtp.messages) == 1 and len(sms.received) == 1
    mail = smtp.messages[0]
    assert mail["To"] == "donatrice@example.org" and ref in mail["Subject"] and "acceptée" in mail["Subject"]
    text = mail.get_content()
    assert "mercredi 2 décembre 2026" in text and "le matin (8 h – 12 h)" in text and "À préparer" in text
    assert "Durand" not in text and "Belleville" not in text and "06 12" not in text  # minimal personal data
    assert "https://dons.example.org/suivi" in text
    body, headers = sms.received[0]
    assert body["to"] == "+33612345678" and body["lang"] == "fr" and ref in body["text"]
    assert headers["X-Dispatch-Secret"] == "s3cret"


def test_an_english_speaking_donor_reads_english_and_an_opted_out_donor_gets_nothing(
        db_engine, msettings, paris_network, smtp, sms):
    with session_scope(db_engine) as s:
        seed_demo(DAY, session=s)
        _book(s, msettings, paris_network, lang="en")
        quiet = _book(s, msettings, paris_network, opt_out=True)
        assert outbox.messages_of(quiet.id, session=s) == []
    worker.run(db_engine, msettings)
    assert len(smtp.messages) == 1
    assert "is accepted" in smtp.messages[0]["Subject"]
    assert "Wednesday 2 December 2026" in smtp.messages[0].get_content()
    assert sms.received[0][0]["lang"] == "en" and "in the morning" in sms.received[0][0]["text"]


def test_a_server_that_is_down_means_retries_then_exactly_one_delivery(db_engine, msettings, paris_network, smtp, sms):
    smtp.stop()
    sms.status = 503
    with session_scope(db_engine) as s:
        seed_demo(DAY, session=s)
        _book(s, msettings, paris_network)
    t0 = utcnow() + dt.timedelta(minutes=1)
    first = worker.run(db_engine, msettings, clock=lambda: t0)
    assert (first.attempted, first.retrying, first.sent) == (2, 2, 0)
    assert worker.run(db_engine, msettings, clock=lambda: t0 + dt.timedelta(seconds=30)).attempted == 0  # backoff
    smtp.start()
    sms.status = 200
    later = worker.run(db_engine, msettings, clock=lambda: t0 + dt.timedelta(seconds=61))
    assert later.sent == 2
    worker.run(db_engine, msettings, clock=lambda: t0 + dt.timedelta(hours=5))
    assert len(smtp.messages) == 1 and len(sms.received) == 1
    assert [(k, c, st, n) for k, c, st, n in _statuses(db_engine)] == [("accepted", "email", "sent", 2),
                                                                         ("accepted", "sms", "sent", 2)]
    with session_scope(db_engine) as s:
        assert s.scalars(select(DonorMessage)).first().last_error is None


def test_after_the_last_attempt_a_message_is_failed_and_an_unset_channel_is_skipped(
        db_engine, msettings, paris_network, smtp):
    smtp.stop()
    no_sms = msettings.model_copy(update={"sms_gateway_url": None})
    with session_scope(db_engine) as s:
        seed_demo(DAY, session=s)
        _book(s, no_sms, paris_network)
    t = utcnow() + dt.timedelta(minutes=1)
    for hours in (0, 1, 2, 3):
        worker.run(db_engine, no_sms, clock=lambda h=hours: t + dt.timedelta(hours=h))
    rows = _statuses(db_engine)
    assert rows == [("accepted", "email", "failed", 3), ("accepted", "sms", "skipped", 0)]
    with session_scope(db_engine) as s:
        skipped = s.scalars(select(DonorMessage).where(DonorMessage.channel == "sms")).one()
        assert "DISPATCH_SMS_GATEWAY_URL" in skipped.last_error


def _published(db_engine, settings, network, *, english_ref: str | None = None):
    with session_scope(db_engine) as s:
        seed_demo(DAY, session=s)
        for pu in s.scalars(select(PickupRequest)):
            pu.email = f"{pu.ref.lower()}@example.org"
            pu.lang = "en" if pu.ref == english_ref else "fr"
        plan = plan_day(DAY, settings, network, session=s, time_limit_s=3, seed=1)
        publish_plan(plan.id, session=s, accept_unassigned=True, actor="coord")
        return plan.id


def test_the_day_before_each_donor_gets_a_visit_window_around_the_planned_time(
        db_engine, msettings, paris_network, smtp):
    _published(db_engine, msettings, paris_network)
    worker.run(db_engine, msettings, clock=lambda: EVE)
    worker.run(db_engine, msettings, clock=lambda: EVE + dt.timedelta(hours=1))  # told once only
    with session_scope(db_engine) as s:
        from dispatch.models import Stop

        stops = s.scalars(select(Stop).where(Stop.kind == StopKind.PICKUP)).all()
        expected = {}
        for st in stops:
            elapsed = (st.planned_arrival - st.round.start_at).total_seconds()
            margin = dt.timedelta(minutes=30, seconds=0.1 * elapsed)
            expected[st.pickup_request.email] = (st.planned_arrival, margin, st.window_start, st.window_end)
    mails = {m["To"]: m for m in smtp.messages if "demain" in m["Subject"]}
    assert set(mails) == set(expected) and len(mails) == len(stops) > 0
    for to, (planned, margin, ws, we) in expected.items():
        text = mails[to].get_content()
        assert "mardi 1er décembre 2026" in text
        start_s, end_s = text.split(" entre ")[1].split(" pour ")[0].split(" et ")
        start = dt.datetime.combine(DAY, dt.time(*map(int, start_s.split(" h "))))
        end = dt.datetime.combine(DAY, dt.time(*map(int, end_s.split(" h "))))
        assert start <= planned <= end  # the planned time is inside the window
        assert ws <= start and end <= we  # within the slot
        assert end - start <= 2 * margin + dt.timedelta(minutes=10)  # about ±(30 min + the round's uncertainty)
        assert end - start >= min(dt.timedelta(hours=1), we - ws)  # about an hour, or the whole slot if shorter


def test_on_our_way_missed_and_cancelled_messages(db_engine, msettings, paris_network, smtp):
    from dispatch.models import Plan

    plan_id = _published(db_engine, msettings, paris_network)
    with session_scope(db_engine) as s:
        plan = s.get(Plan, plan_id)
        rnd = next(r for r in plan.rounds if any(st.kind is StopKind.PICKUP and st.position > 1 for st in r.stops))
        visits = [st for st in rnd.stops if st.kind in (StopKind.RELAY_POINT, StopKind.PICKUP)]
        i = next(k for k, st in enumerate(visits) if k > 0 and st.kind is StopKind.PICKUP)
        before, target = visits[i - 1], visits[i]
        target_mail = target.pickup_request.email
        driver.record_stop_event(rnd.id, before.id, "arrived", session=s, idempotency_key="arr-000001",
                                 at=dt.datetime(2026, 12, 1, 9, 0))
        assert outbox.messages_of(target.pickup_request_id, session=s) == []  # arriving is not leaving
        driver.record_stop_event(rnd.id, before.id, "missed" if before.kind is StopKind.PICKUP else "collected",
                                 session=s, idempotency_key="done-000001", reason="absent", collected_m3=1.0,
                                 at=dt.datetime(2026, 12, 1, 9, 10))
        driver.record_stop_event(rnd.id, target.id, "missed", session=s, idempotency_key="miss-000001",
                                 reason="absent", at=dt.datetime(2026, 12, 1, 9, 40))
        new_date = target.pickup_request.date
        assert new_date > DAY
        pickup_changes.cancel_pickup(target.pickup_request, msettings, paris_network, session=s, actor="donor")
    worker.run(db_engine, msettings, clock=lambda: utcnow() + dt.timedelta(minutes=1))
    subjects = [m["Subject"] for m in smtp.messages if m["To"] == target_mail]
    assert [x.split(" ")[0] for x in subjects] == ["Nous", "Nous", "Votre"]
    assert "en route" in subjects[0] and "pas pu passer" in subjects[1] and "annulé" in subjects[2]
    on_way = next(m for m in smtp.messages if m["To"] == target_mail and "en route" in m["Subject"]).get_content()
    assert "arrivée prévue vers 10 h" in on_way or "arrivée prévue vers 11 h" in on_way  # 9:10 UTC = 10:10 Paris
    missed = next(m for m in smtp.messages if m["To"] == target_mail and "pas pu" in m["Subject"]).get_content()
    from dispatch.documents.i18n import format_date

    assert f"Nouvelle date : {format_date(new_date, 'fr')}" in missed


def test_the_cli_delivers_the_outbox(tmp_path, monkeypatch, capsys, smtp, paris_network):
    from api.cli import main
    from dispatch.db import engine_for, upgrade
    from dispatch.settings import Settings, get_settings

    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    for name, value in (("DATABASE_URL", url), ("SMTP_HOST", "127.0.0.1"), ("SMTP_PORT", str(smtp.port)),
                        ("SMTP_STARTTLS", "false")):
        monkeypatch.setenv(f"DISPATCH_{name}", value)
    get_settings.cache_clear()
    try:
        upgrade(url)
        settings = Settings(database_url=url, _env_file=None)
        with session_scope(engine_for(url)) as s:
            seed_demo(DAY, session=s)
            _book(s, settings, paris_network)
        assert main(["messages", "deliver"]) == 0
        out = capsys.readouterr().out
        assert "1 sent" in out and "1 skipped" in out  # e-mail sent; no SMS gateway configured
        assert len(smtp.messages) == 1
    finally:
        get_settings.cache_clear()


def test_retention_clears_the_donors_e_mail_and_where_messages_went(db_engine, msettings, paris_network):
    from dispatch.access.retention import anonymise_old_data

    with session_scope(db_engine) as s:
        seed_demo(DAY, session=s)
        pu = _book(s, msettings, paris_network)
        assert {m.recipient for m in outbox.messages_of(pu.id, session=s)} == {"donatrice@example.org",
                                                                                "+33612345678"}
        anonymise_old_data(session=s, days=1, today=pu.date + dt.timedelta(days=5))
        assert pu.email is None
        assert {m.recipient for m in outbox.messages_of(pu.id, session=s)} == {""}


@pytest.fixture
def tls_smtp(tmp_path):
    """An SMTP server that requires STARTTLS and a login, with a certificate made for 127.0.0.1."""
    import shutil
    import ssl
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("the STARTTLS test makes its certificate with openssl")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = SmtpServer(free_port(), tls_context=context, login=("amistock", "mot de passe")).start()
    yield server, cert
    server.stop()


def test_starttls_and_login_then_a_wrong_password_is_retried_not_lost(db_engine, msettings, paris_network, tls_smtp):
    from pydantic import SecretStr

    server, cert = tls_smtp
    secure = msettings.model_copy(update={"smtp_port": server.port, "smtp_starttls": True, "smtp_ca_file": cert,
                                          "smtp_username": "amistock", "smtp_password": SecretStr("wrong"),
                                          "sms_gateway_url": None, "messages_timeout_s": 3.0})
    with session_scope(db_engine) as s:
        seed_demo(DAY, session=s)
        _book(s, secure, paris_network)
    t = utcnow() + dt.timedelta(minutes=1)
    assert worker.run(db_engine, secure, clock=lambda: t).retrying == 1
    assert server.messages == []
    with session_scope(db_engine) as s:
        error = s.scalars(select(DonorMessage).where(DonorMessage.channel == "email")).one().last_error
        assert error.startswith(f"SMTP 127.0.0.1:{server.port}: SMTP")  # the refused login, kept to be read
    fixed = secure.model_copy(update={"smtp_password": SecretStr("mot de passe")})
    assert worker.run(db_engine, fixed, clock=lambda: t + dt.timedelta(hours=1)).sent == 1
    assert server.logins == ["amistock"] and len(server.messages) == 1

"""Abuse resistance: sign-in throttle per (account, client) and per client, client
addresses from trusted proxies only, the atomic check-and-count, in-process rate limits
and the bounded argon2 pool."""

from __future__ import annotations

import ipaddress
import os
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from conftest import PASSWORD, make_settings
from innovate_api.app import create_app
from innovate_api.clientaddr import client_address, parse_networks
from innovate_api.extensions import services_of

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
ATTACKER = {"REMOTE_ADDR": "203.0.113.66"}
OWNER = {"REMOTE_ADDR": "198.51.100.7"}


def _login(client: Any, email: str, password: str, **environ: str) -> Any:
    return client.post(
        LOGIN, json={"email": email, "password": password}, environ_base=environ or None
    )


def test_an_attacker_cannot_lock_the_owner_out(client, settings):
    client.post(REGISTER, json={"email": "owner@example.com", "password": PASSWORD})
    for _ in range(settings.login_max_failures):
        assert _login(client, "owner@example.com", "guess guess", **ATTACKER).status_code == 401
    assert _login(client, "owner@example.com", PASSWORD, **ATTACKER).status_code == 429
    # The owner, from their own address, is not affected at all.
    assert _login(client, "owner@example.com", PASSWORD, **OWNER).status_code == 200


def test_one_client_spraying_many_accounts_is_throttled(client, settings):
    tried = 0
    statuses = []
    while tried < settings.login_client_max_failures + 3:
        email = f"victim{tried}@example.com"
        statuses.append(_login(client, email, "password1234", **ATTACKER).status_code)
        tried += 1
    assert statuses[: settings.login_client_max_failures] == [401] * (
        settings.login_client_max_failures
    )
    assert set(statuses[settings.login_client_max_failures :]) == {429}
    # Another client trying the same accounts is not slowed by the sprayer.
    assert _login(client, "victim0@example.com", "password1234", **OWNER).status_code == 401


def test_spoofed_forwarded_for_from_an_untrusted_peer_changes_nothing(client, db, settings):
    """No trusted proxies configured (the default): X-Forwarded-For is ignored, so
    rotating it does not give an attacker fresh counters."""
    statuses = []
    for i in range(settings.login_max_failures + 2):
        r = client.post(
            LOGIN,
            json={"email": "spoof@example.com", "password": "guess guess"},
            headers={"X-Forwarded-For": f"192.0.2.{i}, 10.0.0.{i}"},
            environ_base=ATTACKER,
        )
        statuses.append(r.status_code)
    assert statuses == [401] * settings.login_max_failures + [429, 429]
    clients = {row[0] for row in db.execute("SELECT client FROM login_throttle").fetchall()}
    assert clients == {"203.0.113.66"}


@pytest.fixture
def proxied_app(dsn: str) -> Any:
    settings = make_settings(
        dsn,
        login_max_failures=2,
        login_client_max_failures=50,
        auth_client_per_minute=100000,
        auth_global_per_second=100000,
        trusted_proxies="10.0.0.0/16",
    )
    app = create_app(settings)
    yield app
    services_of(app).db.close()


def test_forwarded_for_from_a_trusted_proxy_names_the_client(proxied_app, db):
    client = proxied_app.test_client()
    alb = {"REMOTE_ADDR": "10.0.3.4"}

    def attempt(xff: str) -> int:
        return client.post(
            LOGIN,
            json={"email": "p@example.com", "password": "guess guess"},
            headers={"X-Forwarded-For": xff},
            environ_base=alb,
        ).status_code

    # API Gateway appended the caller (198.51.100.9), the ALB the VPC-link address.
    assert attempt("198.51.100.9, 10.0.1.20") == 401
    assert attempt("198.51.100.9, 10.0.1.20") == 401
    assert attempt("198.51.100.9, 10.0.1.20") == 429
    # Whatever the caller put in front of its own address is not believed.
    assert attempt("192.0.2.1, 198.51.100.9, 10.0.1.20") == 429
    # A different caller behind the same proxies has its own counter.
    assert attempt("198.51.100.10, 10.0.1.20") == 401
    clients = {row[0] for row in db.execute("SELECT DISTINCT client FROM login_throttle")}
    assert clients == {"198.51.100.9", "198.51.100.10"}


@pytest.mark.parametrize(
    ("remote", "xff", "expected"),
    [
        ("203.0.113.5", "1.2.3.4", "203.0.113.5"),  # untrusted peer: header ignored
        ("10.0.0.1", None, "10.0.0.1"),
        ("10.0.0.1", "198.51.100.1", "198.51.100.1"),
        ("10.0.0.1", "6.6.6.6, 198.51.100.1, 10.0.9.9", "198.51.100.1"),
        ("10.0.0.1", "not-an-ip, 10.0.9.9", "10.0.9.9"),  # garbage: the nearest proxy
        ("10.0.0.1", "10.0.9.8, 10.0.9.9", "10.0.9.8"),  # all trusted: the leftmost
        ("10.0.0.1", " 2001:db8::1 , 10.0.9.9", "2001:db8::1"),
        ("::ffff:10.0.0.1", "198.51.100.1", "198.51.100.1"),  # IPv4-mapped peer
        ("", "1.2.3.4", "unknown"),
    ],
)
def test_client_address_walks_forwarded_for_from_the_right(remote, xff, expected):
    trusted = parse_networks("10.0.0.0/16")
    assert client_address(remote, xff, trusted) == expected


def test_trusted_proxies_setting_is_validated(dsn):
    with pytest.raises(ValueError, match="not-a-cidr"):
        make_settings(dsn, trusted_proxies="10.0.0.0/8, not-a-cidr")
    networks = make_settings(dsn, trusted_proxies="10.0.0.0/8,2001:db8::/32").trusted_proxies
    assert networks == (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("2001:db8::/32"))


def test_parallel_guesses_get_exactly_the_limit(client, settings, db):
    """Check-and-count is one atomic statement before the password is verified."""
    client.post(REGISTER, json={"email": "race@example.com", "password": PASSWORD})
    barrier = threading.Barrier(24)

    def guess(_: int) -> int:
        barrier.wait()
        return _login(client, "race@example.com", "guess guess", **ATTACKER).status_code

    with ThreadPoolExecutor(24) as pool:
        statuses = Counter(pool.map(guess, range(24)))
    # 401: the password was verified (and wrong); everything else was refused unverified.
    assert statuses[401] == settings.login_max_failures
    assert statuses[429] + statuses[503] == 24 - settings.login_max_failures


@pytest.fixture
def limited_app(dsn: str) -> Any:
    settings = make_settings(
        dsn, auth_client_per_minute=3, auth_global_per_second=1000, password_hash_concurrency=1
    )
    app = create_app(settings)
    yield app
    services_of(app).db.close()


def test_sign_in_and_registration_are_rate_limited_per_client(limited_app):
    client = limited_app.test_client()
    statuses = [
        _login(client, "rl@example.com", "guess guess", **ATTACKER).status_code,
        client.post(
            REGISTER,
            json={"email": "rl2@example.com", "password": PASSWORD},
            environ_base=ATTACKER,
        ).status_code,
        _login(client, "rl@example.com", "guess guess", **ATTACKER).status_code,
    ]
    assert statuses == [401, 201, 401]
    r = _login(client, "rl@example.com", PASSWORD, **ATTACKER)
    assert r.status_code == 429
    assert r.mimetype == "application/problem+json"
    assert int(r.headers["Retry-After"]) >= 1
    # Another client still gets through.
    assert _login(client, "rl@example.com", "guess guess", **OWNER).status_code == 401


def test_global_rate_limit(dsn):
    app = create_app(make_settings(dsn, auth_client_per_minute=1000, auth_global_per_second=2))
    try:
        client = app.test_client()
        statuses = [
            _login(client, "g@example.com", "guess guess", REMOTE_ADDR=f"192.0.2.{i}").status_code
            for i in range(4)
        ]
    finally:
        services_of(app).db.close()
    assert statuses[:2] == [401, 401]
    assert 429 in statuses[2:]


def test_a_full_hashing_pool_answers_503_with_retry_after(limited_app):
    client = limited_app.test_client()
    passwords = services_of(limited_app).passwords
    with passwords.admission():  # the one slot is busy
        r = _login(client, "busy@example.com", "guess guess", **OWNER)
        reg = client.post(
            REGISTER, json={"email": "busy@example.com", "password": PASSWORD}, environ_base=OWNER
        )
    assert r.status_code == reg.status_code == 503
    assert r.headers["Retry-After"] == "1"
    assert r.mimetype == "application/problem+json"
    assert _login(client, "busy@example.com", "guess guess", **OWNER).status_code == 401


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="POSIX only")
def test_hashes_run_on_low_priority_threads(app):
    passwords = services_of(app).passwords
    nice = passwords._run(lambda: os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
    server = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    # Relative to the server's own priority, so it holds under `nice make test` too.
    assert passwords.nice > 0
    assert nice == min(19, server + passwords.nice)
    if server < 19:
        assert server < nice

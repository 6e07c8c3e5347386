"""``--teams N`` / ``SANDBOX_TEAMS``: N deterministic sub-teams of the partner with a realistic
spread (no CSD, CSD expiring or expired, fiscal data missing), listed through the API."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests

from tests.conftest import RawAPI
from tests.support.contract import ContractMiddleware
from webapp import catalogs
from webapp.domain.rfc import rfc_person
from webapp.sandbox.seed import seed
from webapp.sandbox.server import SandboxServer, start_sandbox
from webapp.sandbox.store import Clock, Store

NOW = 1_790_000_000
DAY = 86400


def extra_teams(count: int, now: float = NOW) -> list[dict]:
    store = seed(Store(clock=Clock(fixed=now)), teams=count)
    seeded = set(store.extras["seeded_team_ids"])
    return [team for team in store.teams.values() if team["id"] not in seeded]


def test_the_same_n_gives_the_same_teams_and_a_larger_n_adds_to_them():
    first, again, more = extra_teams(120), extra_teams(120), extra_teams(300)
    assert len(first) == 120 and len(more) == 300
    assert json.dumps(first, sort_keys=True) == json.dumps(again, sort_keys=True)
    assert [t["id"] for t in more[:120]] == [t["id"] for t in first]
    assert [t["tax_id"] for t in more[:120]] == [t["tax_id"] for t in first]
    assert len({t["id"] for t in more}) == 300
    assert len({t["brand"]["alias"] for t in more}) == 300  # a name finds one team


def test_the_demo_data_is_the_same_with_or_without_extra_teams():
    def demo(count: int) -> str:
        store = seed(Store(clock=Clock(fixed=NOW)), teams=count)
        seeded = store.extras["seeded_team_ids"]
        state = {
            "teams": [store.teams[team_id] for team_id in seeded],
            "objects": {kind: list(objs.values()) for kind, objs in store.objects.items()},
        }
        return json.dumps(state, sort_keys=True, default=str)

    assert demo(0) == demo(200)


def test_the_teams_have_a_realistic_spread():
    teams = extra_teams(1000)
    no_csd = [t for t in teams if not t["sat"]["completed"]]
    with_csd = [t for t in teams if t["sat"]["completed"]]
    expired = [t for t in with_csd if t["sat"]["csd_expires_at"] < NOW]
    expiring = [t for t in with_csd if NOW <= t["sat"]["csd_expires_at"] < NOW + 30 * DAY]
    no_rfc = [t for t in teams if not t["tax_id"]]
    no_regime = [t for t in teams if not t["tax_system"]]
    no_zip = [t for t in teams if not t["address"].get("zip")]
    for group, low, high in [
        (no_csd, 100, 200),
        (expired, 30, 100),
        (expiring, 40, 110),
        (no_rfc, 15, 70),
        (no_regime, 40, 110),
        (no_zip, 15, 50),
    ]:
        assert low <= len(group) <= high
    ready = [t for t in with_csd if t["sat"]["csd_expires_at"] >= NOW + 30 * DAY]
    assert len(ready) > 600
    aliases = {t["brand"]["alias"] for t in teams}
    assert "Panadería Ñandú" in aliases
    assert sum(1 for alias in aliases if any(c in alias for c in "áéíóúñÑÁÉÍÓÚü")) > 300
    rfcs = [t["tax_id"] for t in teams if t["tax_id"]]
    assert len(set(rfcs)) == len(rfcs)
    kinds = {rfc_person(rfc) for rfc in rfcs}
    assert kinds == {"moral", "fisica"}
    for team in teams:
        if team["tax_id"] and team["tax_system"]:
            assert catalogs.regime_fits_person(team["tax_system"], rfc_person(team["tax_id"]))


def test_expiry_counts_from_the_day_the_sandbox_starts():
    later = NOW + 400 * DAY
    teams = extra_teams(300, now=later)
    expiring = [
        t
        for t in teams
        if t["sat"]["completed"] and later <= t["sat"]["csd_expires_at"] < later + 30 * DAY
    ]
    assert len(expiring) > 5


@pytest.fixture(scope="module")
def crowded(contract_recorder) -> Iterator[SandboxServer]:
    server = start_sandbox(test_mode=True, teams=250)
    server.app.wsgi_app = ContractMiddleware(server.app.wsgi_app, contract_recorder)
    yield server
    server.shutdown()


def test_the_partner_key_lists_every_team_page_by_page(crowded, contract_recorder):
    raw = RawAPI(crowded, crowded.key("partner_test"))
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 100, "order_by": "name", "sort": "asc"}
        body = raw.get("/teams", params=params | ({"next": cursor} if cursor else {})).json()
        seen += [team["id"] for team in body["data"]]
        if not body["has_more"]:
            break
        cursor = body["next"]
    assert len(seen) == len(set(seen)) == 1 + 6 + 250
    outsider = RawAPI(crowded, crowded.key("outsider_test")).get("/teams").json()
    assert len(outsider["data"]) == 1
    assert contract_recorder.take() == []


def test_a_reset_seeds_the_same_teams_again(crowded):
    before = sorted(crowded.store.teams)
    requests.post(f"{crowded.origin}/_sandbox/reset", timeout=30).raise_for_status()
    assert sorted(crowded.store.teams) == before


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_the_command_line_takes_teams_from_the_flag_or_the_environment(how):
    port = _free_port()
    command = [sys.executable, "-m", "webapp.sandbox", "--port", str(port)]
    env = dict(os.environ)
    env.pop("SANDBOX_TEAMS", None)
    if how == "flag":
        command += ["--teams", "40"]
    else:
        env["SANDBOX_TEAMS"] = "40"
    keys = json.loads(
        subprocess.run(
            [sys.executable, "-m", "webapp.sandbox", "--print-keys"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
    )
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert "gigstack sandbox on" in process.stdout.readline()
        listed = requests.get(
            f"http://127.0.0.1:{port}/v2/teams",
            params={"limit": 100},
            headers={"Authorization": f"Bearer {keys['partner_test']['key']}"},
            timeout=10,
        ).json()
        assert len(listed["data"]) == 1 + 6 + 40
        assert "Panadería Ñandú" in {t["brand"]["alias"] for t in listed["data"]}
    finally:
        process.terminate()
        process.wait(timeout=10)

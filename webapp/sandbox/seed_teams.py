"""Many sub-teams of the partner (``--teams N`` / ``SANDBOX_TEAMS``), to see what the dashboard
costs when a key reaches thousands of teams.

Team ``i`` is the same for any ``N`` above ``i``: ids, names, RFCs and which teams lack a CSD,
have one expiring or expired, or miss fiscal data come from an RNG of their own (not the
store's, so ``--scale`` changes nothing here). CSD expiry dates count from the start of the day
the sandbox starts on, so the spread holds whenever it runs. No clients or documents: these
teams exist to be listed, searched and opened.
"""

from __future__ import annotations

import random
import string
from typing import Any

from . import builders
from .store import Store

DAY = 86400
# deterministic, and apart from the store's RNG
RNG_SEED = 5000
ID_ALPHABET = string.ascii_letters + string.digits

# a few names first, so tests and people can look for them (accents, ñ, ü)
NAMED = [
    ("Panadería Ñandú", "PANADERIA ÑANDU"),
    ("Tortillería Doña Lupe", "TORTILLERIA DOÑA LUPE"),
    ("Mariscos La Güera", "MARISCOS LA GÜERA"),
    ("Óptica Visión Clara", "OPTICA VISION CLARA"),
    ("Papelería El Búho", "PAPELERIA EL BUHO"),
]
TRADES = [
    "Panadería",
    "Tortillería",
    "Papelería",
    "Ferretería",
    "Carnicería",
    "Lavandería",
    "Cafetería",
    "Estética",
    "Taquería",
    "Veterinaria",
    "Óptica",
    "Farmacia",
    "Consultorio",
    "Despacho",
    "Taller",
    "Librería",
    "Florería",
    "Zapatería",
    "Joyería",
    "Mueblería",
    "Comercializadora",
    "Constructora",
    "Distribuidora",
    "Logística",
    "Importadora",
]
PLACES = [
    "Altiplano",
    "Bahía Azul",
    "Cerro Verde",
    "Del Bajío",
    "El Roble",
    "Frontera",
    "Huasteca",
    "Istmo",
    "La Sierra",
    "Maya",
    "Pirámide",
    "Quetzal",
    "Río Bravo",
    "Sotavento",
    "Tulum",
    "Coyoacán",
    "Mazatlán",
    "Peñasco",
    "Zócalo",
    "Tláloc",
    "Acuña",
    "Los Ángeles",
    "San Cristóbal",
    "Mérida",
    "Yucatán",
]
FIRST_NAMES = ["Sofía", "José", "Martín", "Inés", "Raúl", "Begoña", "Andrés", "Lucía", "Iñaki"]
LAST_NAMES = ["Núñez", "Peña", "Ibáñez", "Gómez", "Ordóñez", "Muñoz", "Álvarez", "Cantú"]
ZIPS = [
    ("06700", "Ciudad de México", "CDMX"),
    ("44600", "Guadalajara", "Jalisco"),
    ("64710", "Monterrey", "Nuevo León"),
    ("72000", "Puebla", "Puebla"),
    ("97000", "Mérida", "Yucatán"),
    ("37000", "León", "Guanajuato"),
]
PLAIN = str.maketrans("ÁÉÍÓÚÜáéíóúü", "AEIOUUaeiouu")


def seed_teams(
    store: Store, partner: dict[str, Any], owner: dict[str, Any], count: int, *, anchor: int
) -> None:
    """Add ``count`` sub-teams to ``partner``'s billing account, made in the 900 days before
    ``anchor`` (the store's lock is held)."""
    rng = random.Random(RNG_SEED)
    today = store.clock.now() // DAY * DAY
    names: dict[str, int] = {}
    rfcs: set[str] = set()
    for index in range(count):
        alias, legal, moral = _names(rng, index, names)
        rfc = _rfc(rng, legal, moral, rfcs)
        zip_code, city, state = rng.choice(ZIPS)
        regime = "601" if moral else rng.choice(["612", "626", "606"])
        gap = rng.random()  # about one in ten misses some fiscal data
        team = builders.build_team(
            store,
            team_id=_team_id(rng, store),
            legal_name=legal,
            alias=alias,
            tax_id=None if gap < 0.04 else rfc,
            tax_system=None if gap < 0.07 else regime,
            owner=owner["id"],
            billing=partner["_billing"],
            address={"country": "MEX", "city": city, "state": state}
            | ({} if 0.07 <= gap < 0.1 else {"zip": zip_code}),
            created_at=anchor - rng.randint(1, 900) * DAY - rng.randint(0, DAY),
        )
        _csd(team, rng.random(), rng, today)
        builders.add_member(team, owner, "admin")
        if rng.random() < 0.85:
            store.series[team["id"]].append(
                {
                    "id": _id(rng, "ser_", 8),
                    "series": "A",
                    "live": 0,
                    "test": 0,
                    "created_at": team["created_at"] + 60,
                }
            )
            team["settings"]["default_series"] = {"income": {"serie": "A"}}


def _names(rng: random.Random, index: int, seen: dict[str, int]) -> tuple[str, str, bool]:
    """Brand alias, legal name and whether it is a company (persona moral)."""
    if index < len(NAMED):
        alias, legal = NAMED[index]
        moral = True
    elif rng.random() < 0.65:
        alias = f"{rng.choice(TRADES)} {rng.choice(PLACES)}"
        legal = f"{alias.translate(PLAIN).upper()} SA DE CV"
        moral = True
    else:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        alias = f"{rng.choice(TRADES)} {first} {last}"
        legal = f"{first} {last} {rng.choice(LAST_NAMES)}".translate(PLAIN).upper()
        moral = False
    seen[alias] = seen.get(alias, 0) + 1
    if seen[alias] > 1:  # "Panadería Maya 2": a second branch
        alias = f"{alias} {seen[alias]}"
        legal = legal if not moral else f"{alias.translate(PLAIN).upper()} SA DE CV"
    return alias, legal, moral


def _rfc(rng: random.Random, legal: str, moral: bool, taken: set[str]) -> str:
    words = [w for w in legal.split() if w.isalpha() and w not in ("SA", "DE", "CV")]
    letters = "".join(w[0] for w in words) + "XXXX"
    head = letters[:3] if moral else (words[0][:2] + letters[1:3])[:4]
    while True:
        date = f"{rng.randint(0, 99):02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        rfc = head + date + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in "123")
        if rfc not in taken:
            taken.add(rfc)
            return rfc


def _csd(team: dict[str, Any], draw: float, rng: random.Random, today: int) -> None:
    """15 % without a CSD, 6 % expired, 7 % expiring within 30 days, the rest valid."""
    if draw < 0.15:
        return
    if draw < 0.21:
        expires = today - rng.randint(1, 400) * DAY
    elif draw < 0.28:
        expires = today + rng.randint(3, 27) * DAY
    else:
        expires = today + rng.randint(60, 1400) * DAY
    team["sat"].update(
        completed=True, connected_at=team["created_at"] + DAY, csd_expires_at=expires
    )


def _team_id(rng: random.Random, store: Store) -> str:
    while True:
        candidate = _id(rng, "team_", 14)
        if candidate not in store.teams:
            return candidate


def _id(rng: random.Random, prefix: str, length: int) -> str:
    return prefix + "".join(rng.choice(ID_ALPHABET) for _ in range(length))

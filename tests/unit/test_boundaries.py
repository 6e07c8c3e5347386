"""Package boundaries (DESIGN.md, "Shape").

- ``webapp.gigstack`` (the API client) and ``webapp.domain`` (what the dashboard and the sandbox
  both need: money and tax arithmetic, RFC shapes) load no Flask and nothing of the dashboard;
  checked in a fresh interpreter (what importing them really loads) and in their source.
- The dashboard never imports the sandbox; the one exception is the code that starts the
  embedded sandbox when no API key is set (``webapp/upstream.py``), inside a function.
- The sandbox imports nothing of the dashboard, only the shared libraries.

The source checks read every ``import`` with :mod:`ast`, those inside functions included.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.paths import REPO_ROOT

WEBAPP = REPO_ROOT / "webapp"
SANDBOX = "webapp.sandbox"
# the one dashboard module that may start the sandbox (lazily: inside a function)
SANDBOX_STARTER = "webapp.upstream"
# what the sandbox may use besides itself: the libraries it shares with the dashboard
SANDBOX_MAY_USE = ("webapp.domain", "webapp.sat", "webapp.catalogs")

# library → the webapp modules importing it may load besides ``webapp`` and its own
PURE_LIBRARIES = {
    "webapp.gigstack": (),
    "webapp.domain": ("webapp.catalogs",),
    "webapp.sat": ("webapp.catalogs", "webapp.domain"),
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


# --------------------------------------------------------------------------- source checks


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(name: str) -> bool:
    base = REPO_ROOT.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _imports(path: Path) -> Iterator[tuple[str, int, bool]]:
    """(imported module, line, at module level) for every import in ``path``, relative ones
    resolved; ``from package import name`` also yields ``package.name`` when it is a module."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    top_level = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno, id(node) in top_level
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            yield target, node.lineno, id(node) in top_level
            for alias in node.names:
                if _is_module(f"{target}.{alias.name}"):
                    yield f"{target}.{alias.name}", node.lineno, id(node) in top_level


def _modules(package_dir: Path) -> list[Path]:
    return sorted(package_dir.rglob("*.py"))


def _within(module: str, packages: tuple[str, ...]) -> bool:
    return any(_is_within(module, package) for package in packages)


def test_the_dashboard_never_imports_the_sandbox() -> None:
    offenders, starter_imports = [], []
    for path in _modules(WEBAPP):
        module = _module_name(path)
        if _is_within(module, SANDBOX):
            continue
        for target, line, top_level in _imports(path):
            if not _is_within(target, SANDBOX):
                continue
            if module == SANDBOX_STARTER:
                starter_imports.append((line, top_level))
            else:
                offenders.append(f"{path.relative_to(REPO_ROOT)}:{line} imports {target}")
    assert not offenders, "the dashboard imports the sandbox:\n" + "\n".join(offenders)
    # the starter imports it, lazily (a dashboard on the real API never loads the sandbox)
    assert starter_imports, f"{SANDBOX_STARTER} no longer starts the sandbox: update this test"
    assert not [line for line, top_level in starter_imports if top_level], (
        f"{SANDBOX_STARTER} must import the sandbox inside the function that starts it"
    )


def _is_flask(target: str) -> bool:
    top = target.partition(".")[0]
    return top == "flask" or top.startswith("flask_")


def _beyond(target: str, allowed: tuple[str, ...]) -> bool:
    """Whether ``target`` is a module of ``webapp`` other than the (light) package itself and
    those within ``allowed``; the catalogues' blueprint is never part of the catalogues."""
    if target == "webapp.catalogs.routes":
        return True
    return _is_within(target, "webapp") and target != "webapp" and not _within(target, allowed)


@pytest.mark.parametrize("package", sorted(PURE_LIBRARIES))
def test_a_library_imports_no_flask_and_no_dashboard(package: str) -> None:
    allowed = (package, *PURE_LIBRARIES[package])
    offenders = [
        f"{path.relative_to(REPO_ROOT)}:{line} imports {target}"
        for path in _modules(REPO_ROOT.joinpath(*package.split(".")))
        if _module_name(path) != "webapp.catalogs.routes"  # the pickers' views, beside the data
        for target, line, _ in _imports(path)
        if _is_flask(target) or _beyond(target, allowed)
    ]
    assert not offenders, "\n".join(offenders)


def test_the_sandbox_imports_nothing_of_the_dashboard() -> None:
    offenders = [
        f"{path.relative_to(REPO_ROOT)}:{line} imports {target}"
        for path in _modules(WEBAPP / "sandbox")
        for target, line, _ in _imports(path)
        if _beyond(target, (SANDBOX, *SANDBOX_MAY_USE))
    ]
    assert not offenders, "the sandbox imports the dashboard:\n" + "\n".join(offenders)

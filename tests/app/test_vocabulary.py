"""The screen vocabulary holds (DESIGN.md, "Screens: one vocabulary, one kit").

Walks ``app.url_map`` and every view's source, so the next screen is checked without anyone
remembering to: endpoint names and URLs from the vocabulary table (or verbs the blueprint
declares), templates from the view's own area folder or ``_partials/`` and named as the table
says, audit actions ``<object>.<action>`` matching the endpoint and declared in
``webapp.audit.actions``, form classes in ``forms.py``, one way to ask "is this htmx?".
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest
from flask import Flask

from webapp.audit.actions import ACTIONS

ROOT = Path(__file__).resolve().parents[2]
WEBAPP = ROOT / "webapp"
TEMPLATES = ROOT / "templates"

# the vocabulary table: endpoint → the end of its URL rule, and its audit action
VOCABULARY = {"index": "/", "show": None, "new": "/new", "edit": "/edit", "delete": "/delete"}
AUDITED_AS = {"new": "create", "edit": "update", "delete": "delete"}
# full pages an area may have besides those of its declared verbs
PAGES = {"page.html", "show.html", "new.html", "edit.html"}
TEMPLATE_NAME = re.compile(r"""["']((?:[\w-]+/)+[\w.-]+\.html)["']""")
ACTION_LITERAL = re.compile(
    r"""(?:\brecord\(\s*|\baudited\(\s*|\baudit=)["']([a-z_]+\.[a-z_]+)["']"""
)


def _views(app: Flask):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint):
        if rule.endpoint == "static":
            continue
        blueprint_name, _, name = rule.endpoint.rpartition(".")
        yield rule, app.blueprints[blueprint_name], name, app.view_functions[rule.endpoint]


def _area(view) -> str:
    return inspect.getmodule(view).__name__.split(".")[1]


def _verbs(blueprint) -> set[str]:
    """The blueprint's own verbs (``team_blueprint(…, verbs=…)`` or ``bp.verbs = …``)."""
    return set(getattr(blueprint, "verbs", ()))


def _object(blueprint) -> str | None:
    """What its audit actions are about (``bp.object``; None: the frame, sign-in — no object)."""
    name = blueprint.name
    return getattr(blueprint, "object", name[:-1] if name.endswith("s") else name)


def test_endpoints_and_urls_follow_the_vocabulary(app):
    wrong = []
    for rule, blueprint, name, _view in _views(app):
        if name not in VOCABULARY and name not in _verbs(blueprint):
            wrong.append(
                f"{rule.endpoint} ({rule.rule}): not in the vocabulary, not a declared verb"
            )
            continue
        ending = VOCABULARY.get(name)
        if ending and not rule.rule.endswith(ending):
            wrong.append(f"{rule.endpoint}: its URL {rule.rule} should end in {ending}")
    assert not wrong, "\n".join(wrong)


def test_declared_verbs_are_views(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = [
        f"{name}.{verb}"
        for name, blueprint in app.blueprints.items()
        for verb in _verbs(blueprint)
        if f"{name}.{verb}" not in endpoints
    ]
    assert not missing


def test_views_render_their_own_area_templates_named_by_the_vocabulary(app):
    wrong = []
    seen: set[str] = set()
    for *_, view in _views(app):
        module = inspect.getmodule(view)
        if module.__name__ in seen:
            continue
        seen.add(module.__name__)
        area = _area(view)
        verbs = set().union(*(_verbs(b) for b in app.blueprints.values()))
        for template in sorted(set(TEMPLATE_NAME.findall(inspect.getsource(module)))):
            folder, _, file = template.rpartition("/")
            if not (TEMPLATES / template).is_file():
                wrong.append(f"{module.__name__}: {template} does not exist")
            elif folder == "_partials":
                continue
            elif folder.split("/")[0] != area:
                wrong.append(f"{module.__name__}: {template} is outside templates/{area}/")
            elif not file.startswith("_") and file not in PAGES | {f"{v}.html" for v in verbs}:
                wrong.append(f"{module.__name__}: page {template} is not a vocabulary page")
    assert not wrong, "\n".join(wrong)


def test_every_template_is_used(app):
    """A template no view renders and no template includes is dead (or misnamed)."""
    sources = [p.read_text() for p in WEBAPP.rglob("*.py") if "sandbox" not in p.parts]
    sources += [p.read_text() for p in TEMPLATES.rglob("*.html")]
    text = "\n".join(sources)
    unused = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if path.name != "base.html" and str(path.relative_to(TEMPLATES)) not in text
        # a verb's fragment is also found by its name (`"area/_" ~ verb ~ ".html"`)
    ]
    assert not unused, unused


def test_audit_actions_match_their_endpoint_and_are_declared(app):
    wrong = []
    for rule, blueprint, name, view in _views(app):
        if _object(blueprint) is None:
            continue
        expected = f"{_object(blueprint)}.{AUDITED_AS.get(name, name)}"
        for action in ACTION_LITERAL.findall(inspect.getsource(view)):
            if action != expected:
                wrong.append(f"{rule.endpoint} records {action}, the vocabulary says {expected}")
    for path in WEBAPP.rglob("*.py"):
        if "sandbox" in path.parts:
            continue
        for action in ACTION_LITERAL.findall(path.read_text()):
            if action not in ACTIONS:
                wrong.append(f"{path.relative_to(ROOT)}: {action} is not in webapp.audit.actions")
    assert not wrong, "\n".join(wrong)


def _form_classes(tree: ast.Module):
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            bases = {ast.unparse(base).rpartition(".")[2] for base in node.bases}
            if bases & {"BackofficeForm", "FlaskForm", "Form"} or any(
                b.endswith("Form") for b in bases
            ):
                yield node.name


def test_form_classes_live_in_forms_modules():
    wrong = []
    for path in WEBAPP.rglob("*.py"):
        if "sandbox" in path.parts or path.name == "forms.py":
            continue
        for name in _form_classes(ast.parse(path.read_text())):
            wrong.append(f"{path.relative_to(ROOT)}: {name}")
    assert not wrong, "form classes outside forms.py:\n" + "\n".join(wrong)


@pytest.mark.parametrize("pattern", [r"HX-Request", r"request\.htmx\b"])
def test_one_way_to_ask_is_htmx(pattern):
    """``webapp.pages.is_htmx`` is the one place that reads the header."""
    readers = [
        str(path.relative_to(ROOT))
        for path in WEBAPP.rglob("*.py")
        if "sandbox" not in path.parts
        and path.name != "pages.py"
        and re.search(pattern, path.read_text())
    ]
    assert not readers

"""Fail in one line when the lock files do not satisfy ``pyproject.toml``.

Every dependency pyproject declares (runtime in ``requirements.txt``; runtime and dev in
``requirements-dev.txt``) must be pinned there at a version its range allows. Run by the
Makefile before installing the lock; ``make lock`` brings the lock back in line.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

try:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
except ImportError:  # before the venv exists: the copy pip carries
    from pip._vendor.packaging.requirements import Requirement
    from pip._vendor.packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)", re.MULTILINE)


def pins(lock: Path) -> dict[str, str]:
    """name -> pinned version of every ``name==version`` line of a lock file."""
    return {canonicalize_name(name): version for name, version in PIN.findall(lock.read_text())}


def problems(declared: list[str], lock: Path) -> list[str]:
    """What of ``declared`` the lock misses or pins outside the declared range."""
    pinned = pins(lock)
    found = []
    for line in declared:
        requirement = Requirement(line)
        version = pinned.get(canonicalize_name(requirement.name))
        if version is None:
            found.append(f"{requirement.name} is not in {lock.name}")
        elif not requirement.specifier.contains(version, prereleases=True):
            found.append(
                f"{requirement.name}=={version} in {lock.name} is outside '{requirement.specifier}'"
            )
    return found


def main() -> int:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = project["dependencies"]
    dev = project["optional-dependencies"]["dev"]
    found = problems(runtime, ROOT / "requirements.txt") + problems(
        runtime + dev, ROOT / "requirements-dev.txt"
    )
    if found:
        print(
            "the lock does not match pyproject.toml (run `make lock`): " + "; ".join(found),
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Check every workspace member follows the packaging conventions (run by `make test`).

Each member has README.md, CHANGELOG.md (with an Unreleased section), a static version,
`py.typed`, tests; each channel's import name derives from its folder and it registers
exactly one entry point in `floe.alert_channels`, named after the folder, that loads.
"""

from __future__ import annotations

import sys
import tomllib
from importlib.metadata import entry_points, version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GROUP = "floe.alert_channels"
IMPORT_NAMES = {"floe-monitoring-core": "floe_monitoring", "testing-kit": "floe_testing_kit"}


def check_member(folder: Path) -> list[str]:
    """Return the convention problems of one member."""
    problems: list[str] = []
    project = tomllib.loads((folder / "pyproject.toml").read_text())["project"]
    dist = project["name"]
    module = IMPORT_NAMES.get(folder.name, folder.name.replace("-", "_"))
    for required in ("README.md", "CHANGELOG.md", "tests", f"src/{module}/py.typed"):
        if not (folder / required).exists():
            problems.append(f"{folder.name}: missing {required}")
    changelog = folder / "CHANGELOG.md"
    if changelog.exists() and "## Unreleased" not in changelog.read_text():
        problems.append(f"{folder.name}: CHANGELOG.md has no '## Unreleased' section")
    if "version" not in project or "version" in project.get("dynamic", []):
        problems.append(f"{folder.name}: needs a static version")
    elif version(dist) != project["version"]:
        problems.append(
            f"{folder.name}: installed {version(dist)} != pyproject {project['version']}"
        )
    if folder.name.startswith("floe-alert-"):
        expected = folder.name.removeprefix("floe-alert-")
        declared = project.get("entry-points", {}).get(GROUP, {})
        if list(declared) != [expected]:
            problems.append(
                f"{folder.name}: must declare exactly the entry point '{expected}' in {GROUP}"
            )
        found = [
            ep for ep in entry_points(group=GROUP) if ep.dist and ep.dist.metadata["Name"] == dist
        ]
        for ep in found:
            cls = ep.load()
            if getattr(cls, "name", None) != ep.name:
                problems.append(
                    f"{folder.name}: entry point {ep.name} loads a class named {cls.name!r}"
                )
        if not found:
            problems.append(f"{folder.name}: entry point not installed (run make setup)")
    return problems


def main() -> int:
    """Check all members listed in the root pyproject; print problems, return 1 if any."""
    members = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["uv"]["workspace"][
        "members"
    ]
    problems = [p for m in members for p in check_member(ROOT / m)]
    for problem in problems:
        print(f"convention: {problem}")
    print(f"checked {len(members)} members: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

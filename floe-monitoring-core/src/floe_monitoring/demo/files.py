"""The quickstart's files (shipped in the wheel) and the demo's work folder.

The three contracts and `floe-monitor.yaml` live in this package, so a `pip install`
has them; the repository's ``examples/quickstart/`` holds byte-identical copies.
"""

from __future__ import annotations

import shutil
from importlib.resources import files
from pathlib import Path

from floe_monitoring.demo.errors import DemoError

__all__ = [
    "CONFIG_NAME",
    "CONTRACT_FILES",
    "MARKER",
    "QUICKSTART_FILES",
    "evolved_customers_contract",
    "prepare_workdir",
    "quickstart_bytes",
]

CONFIG_NAME = "floe-monitor.yaml"
CONTRACT_FILES = ("contracts/orders.yaml", "contracts/customers.yaml", "contracts/payments.yaml")
#: Every shipped file, as a path relative to the quickstart folder.
QUICKSTART_FILES = (CONFIG_NAME, *CONTRACT_FILES)
#: A file the demo leaves in its work folder: only such a folder is ever wiped.
MARKER = ".floe-demo"


def quickstart_bytes(name: str) -> bytes:
    """The shipped content of one quickstart file (``name`` from `QUICKSTART_FILES`)."""
    if name not in QUICKSTART_FILES:
        raise ValueError(f"no quickstart file {name!r}")
    resource = files("floe_monitoring.demo").joinpath("quickstart", *name.split("/"))
    return resource.read_bytes()


def prepare_workdir(workdir: Path) -> Path:
    """Empty (or create) the work folder and write the quickstart files into it.

    Returns:
        The path of the config file written.

    Raises:
        DemoError: ``workdir`` is a file, or a non-empty folder an earlier demo did not
            make (it is never wiped: the user may have passed the wrong path).

    """
    if workdir.exists():
        if not workdir.is_dir():
            raise DemoError(f"{workdir} is a file: choose another --workdir")
        if any(workdir.iterdir()) and not (workdir / MARKER).is_file():
            raise DemoError(
                f"{workdir} is not empty and was not made by `floe sla demo`: "
                "choose another --workdir (the demo wipes its folder)"
            )
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    (workdir / MARKER).write_text("Made by `floe sla demo`; the next run wipes this folder.\n")
    for name in QUICKSTART_FILES:
        target = workdir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(quickstart_bytes(name))
    return workdir / CONFIG_NAME


_PHONE = """\
      - name: phone
        logicalType: string
        physicalType: string
"""


def evolved_customers_contract(text: str) -> str:
    """Version 1.1.0 of the customers contract: no ``phone``, ``loyalty_points`` a long.

    What the CRM team publishes once producer and consumers agree on the new schema.

    Raises:
        DemoError: The shipped contract no longer reads as this edit expects.

    """
    edits = (
        ("version: 1.0.0\n", "version: 1.1.0\n"),
        (_PHONE, ""),
        ("        physicalType: int\n", "        physicalType: long\n"),
    )
    for old, new in edits:
        if text.count(old) != 1:
            raise DemoError(f"the customers contract does not contain {old.strip()!r} once")
        text = text.replace(old, new)
    return text

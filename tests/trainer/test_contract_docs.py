"""docs/CONTRACTS.md describes the contract package: every declared kind, state, stage, code and name is on it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from trainer.contract import events, exit_codes, layout, metrics, requests, states

DOC = (Path(__file__).resolve().parents[2] / "docs" / "CONTRACTS.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("kind", sorted(events.KINDS))
def test_every_event_kind_is_documented(kind):
    assert f"`{kind}`" in DOC


@pytest.mark.parametrize("name", [*states.STATES, *states.STAGES])
def test_every_state_and_stage_is_documented(name):
    assert f"`{name}`" in DOC


@pytest.mark.parametrize("name", [n for n in exit_codes.__all__ if n.isupper() and n != "OUTCOMES"])
def test_every_exit_code_is_documented_with_its_number(name):
    assert re.search(rf"\| `{name}` \| {getattr(exit_codes, name)} \|", DOC), f"{name} is not in the exit code table"


@pytest.mark.parametrize("module", [layout, metrics, requests], ids=lambda m: m.__name__)
def test_every_contract_name_is_documented(module):
    missing = [name for name in module.__all__ if f"{name}" not in DOC]
    assert not missing, f"docs/CONTRACTS.md does not mention {missing} of {module.__name__}"


def test_the_package_map_matches_the_tree():
    """Each module is on the map (cli/, views/ and sources/ as folders), and the map names no module that is gone."""
    root = Path(__file__).resolve().parents[2]
    grouped = ("cli", "views", "sources")
    modules = [p for top in ("trainer", "dashboard") for p in (root / top).rglob("*.py")
               if p.name not in ("__init__.py", "__main__.py") and not set(grouped) & set(p.parts)]
    missing = [str(p.relative_to(root)) for p in modules if not re.search(rf"^ +{re.escape(p.name)} ", DOC, re.M)]
    assert not missing, f"the package map in docs/CONTRACTS.md lacks {missing}"
    package_map = DOC.split("## Package map", 1)[1].split("```")[1]
    named = re.findall(r"^ +(\w+\.py) ", package_map, re.M)
    existing = {p.name for top in ("trainer", "dashboard") for p in (root / top).rglob("*.py")}
    assert named and not set(named) - existing, f"the package map names modules that do not exist: {set(named) - existing}"

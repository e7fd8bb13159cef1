"""The import layers of docs/CONTRACTS.md ("Layers"), read from the source with ast.

A module may import its own layer and the layers below it, never one above
or a peer; the dashboard may import the foundations, the configuration, the
contract and each layer's public face (the names in its package's
``__all__``), never a module inside a layer.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

#: lowest first; a module belongs to the longest prefix listed
LAYERS: list[tuple[str, ...]] = [
    ("trainer.errors", "trainer.options", "trainer.reading", "trainer.atomic", "trainer.timestamps",
     "trainer.passwords", "trainer.addresses", "trainer.faces", "trainer.columns", "trainer.contract",
     "trainer.locking"),
    # the configuration holds the option groups that the layers above declare in modules of their own
    ("trainer.config", "trainer.learning.families", "trainer.monitoring.settings", "trainer.notify.settings",
     "trainer.review.settings"),
    ("trainer.learning",), ("trainer.feedback",),
    ("trainer.folder",),
    ("trainer.monitoring",), ("trainer.notify",), ("trainer.review",),
    ("trainer.service",),
    ("trainer.backtest",),
    ("trainer.cli", "trainer.__main__", "dashboard"),
]
#: layers that may not import one another although neither is above the other
PEERS = [{"trainer.learning", "trainer.feedback"}, {"trainer.monitoring", "trainer.notify", "trainer.review"}]
#: rank of each layer (peers share one)
RANK = {"trainer.errors": 0, "trainer.config": 1, "trainer.learning": 2, "trainer.feedback": 2, "trainer.folder": 3,
        "trainer.monitoring": 4, "trainer.notify": 4, "trainer.review": 4, "trainer.service": 5,
        "trainer.backtest": 6, "trainer.cli": 7}
#: packages the dashboard reaches through their face only
FACED = ("trainer.learning", "trainer.feedback", "trainer.folder", "trainer.monitoring", "trainer.notify",
         "trainer.review", "trainer.service", "trainer.backtest")


def layer_of(module: str) -> tuple[str, int]:
    """(the layer's first prefix, its rank) for a module name."""
    best = None
    for group in LAYERS:
        for prefix in group:
            if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > len(best[1])):
                best = (group, prefix)
    if best is None:
        raise LookupError(f"{module} is in no layer: add it to LAYERS in {__file__} and to docs/CONTRACTS.md")
    return best[0][0], RANK[best[0][0]]


def _is_module(name: str) -> bool:
    path = REPO / Path(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def targets(node: ast.AST) -> list[tuple[str, str | None]]:
    """(module imported, the name taken from it or None) for an import statement; absolute imports only."""
    if isinstance(node, ast.Import):
        return [(alias.name, None) for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [(node.module, alias.name) for alias in node.names]
    return []


def resolve(module: str, name: str | None) -> str:
    """The module an import reaches: a submodule taken by name, a face's name's home, or the module itself."""
    if name is None:
        return module
    if _is_module(f"{module}.{name}"):
        return f"{module}.{name}"
    if module == "trainer":
        homes = importlib.import_module("trainer")._HOMES
        return homes.get(name) or ("trainer.folder.scoring" if name == "load_champion" else "trainer.errors")
    return module


def violations(module: str, source: str) -> list[str]:
    """Every import in ``source`` (the text of ``module``) that breaks the layers."""
    found = []
    own, rank = layer_of(module)
    for node in ast.walk(ast.parse(source)):
        for imported, name in targets(node):
            if not (imported == "trainer" or imported.startswith(("trainer.", "dashboard"))):
                continue
            target = resolve(imported, name)
            where = f"{module}:{node.lineno} imports {target}" + (f" ({name})" if name else "")
            if module.startswith("dashboard"):
                if not target.startswith("dashboard"):
                    face = next((p for p in FACED if target == p or target.startswith(p + ".")), None)
                    through_face = target == face or (imported == face and name in importlib.import_module(face).__all__)
                    if face and not through_face and layer_of(target)[1] > 1:
                        found.append(f"{where}: an internal of {face}; import it from {face}'s face (its __all__)")
                continue
            if target.startswith("dashboard"):
                found.append(f"{where}: the trainer never imports the dashboard")
                continue
            other, other_rank = layer_of(target)
            if other == own:
                continue
            if other_rank > rank:
                found.append(f"{where}: {own} may not import the higher layer {other}")
            elif other_rank == rank:
                found.append(f"{where}: {own} and {other} are peers and may not import each other")
    return found


def _modules():
    for package in ("trainer", "dashboard"):
        for path in sorted((REPO / package).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


def test_no_module_imports_a_layer_above_its_own_a_peer_or_a_layer_internal_from_the_dashboard():
    found = [v for module, path in _modules() if module != "trainer"
             for v in violations(module, path.read_text(encoding="utf-8"))]
    assert not found, "\n".join(found)


def test_every_module_is_in_a_layer():
    for module, _ in _modules():
        if module != "trainer":
            layer_of(module)


@pytest.mark.parametrize("module, source, expected", [
    ("trainer.folder.champion", "from trainer.service.locking import FileLock", "may not import the higher layer"),
    ("trainer.learning.api", "from trainer.feedback.quality import parse_times", "are peers"),
    ("trainer.config", "def f():\n    from trainer.service import control", "may not import the higher layer"),
    ("trainer.notify.sender", "from trainer.review import Ledger", "are peers"),
    ("trainer.folder.registry", "import dashboard.context", "never imports the dashboard"),
    ("dashboard.context", "from trainer.folder.registry import Registry", "an internal of trainer.folder"),
    ("dashboard.views.drift", "from trainer.monitoring import report", "an internal of trainer.monitoring"),
    ("dashboard.banner", "from trainer.service.status import read_status", "an internal of trainer.service"),
])
def test_the_check_catches_each_kind_of_breach(module, source, expected):
    found = violations(module, source)
    assert len(found) == 1 and expected in found[0], found


@pytest.mark.parametrize("module, source", [
    ("dashboard.context", "from trainer.folder import Registry, UNSIGNED"),
    ("dashboard.controls", "from trainer.service import control"),
    ("dashboard.tables", "from trainer.contract.layout import ModelsLayout\nfrom trainer.config import Config"),
    ("trainer.service.cycle", "from trainer.learning.api import train_and_evaluate\nfrom trainer import __version__"),
    ("trainer.folder.champion", "from trainer.locking import FileLock"),
])
def test_the_check_lets_the_allowed_imports_through(module, source):
    assert violations(module, source) == []


@pytest.mark.parametrize("package", [*FACED, "trainer"])
def test_every_public_name_of_a_face_loads(package):
    face = importlib.import_module(package)
    assert face.__all__ and sorted(dir(face)) == sorted(face.__all__)
    for name in face.__all__:
        assert getattr(face, name) is not None, f"{package}.{name}"

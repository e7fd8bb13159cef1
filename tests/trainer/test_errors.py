"""One error tree: every exception class CLA defines derives from trainer.CLAError."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

import trainer
from trainer.errors import CLAError

REPO = Path(__file__).resolve().parents[2]


def _modules_with_classes() -> list[str]:
    """Every module of trainer/ and dashboard/ that defines a class (read with ast, so scripts are not run)."""
    names = []
    for package in ("trainer", "dashboard"):
        for path in sorted((REPO / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            if path.name == "__main__.py" or not any(isinstance(n, ast.ClassDef) for n in ast.walk(tree)):
                continue
            parts = path.relative_to(REPO).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def _exception_classes() -> list[type]:
    found = []
    for name in _modules_with_classes():
        module = importlib.import_module(name)
        stack = [obj for obj in vars(module).values() if inspect.isclass(obj) and obj.__module__ == name]
        while stack:
            cls = stack.pop()
            if issubclass(cls, BaseException):
                found.append(cls)
            stack += [obj for obj in vars(cls).values() if inspect.isclass(obj) and obj.__module__ == name]
    return found


EXCEPTIONS = _exception_classes()


def test_the_walk_finds_the_errors_callers_catch():
    names = {cls.__name__ for cls in EXCEPTIONS}
    assert {"ConfigError", "SourceError", "RegistryError", "ModelNotFound", "WriteError", "ModelLoadError",
            "ControlError", "CLIError", "LockBusy", "UnsafeFile"} <= names
    assert len(EXCEPTIONS) >= 20


@pytest.mark.parametrize("cls", EXCEPTIONS, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_every_exception_class_is_a_cla_error(cls):
    assert issubclass(cls, CLAError), f"{cls.__module__}.{cls.__qualname__} does not derive from trainer.CLAError"


@pytest.mark.parametrize("name, builtin", [
    ("trainer.options:ConfigError", ValueError), ("trainer.atomic:WriteError", OSError),
    ("trainer.reading:UnsafeFile", OSError), ("trainer.feedback.sources:SourceError", RuntimeError),
    ("trainer.folder.summary:ModelNotFound", LookupError), ("trainer.folder.scoring:ModelLoadError", RuntimeError),
])
def test_errors_callers_catch_as_builtins_still_are_those(name, builtin):
    module, _, cls = name.partition(":")
    assert issubclass(getattr(importlib.import_module(module), cls), builtin)


def test_the_base_is_exported_at_the_top():
    assert trainer.CLAError is CLAError and "CLAError" in trainer.__all__
    with pytest.raises(CLAError, match="training.target"):
        trainer.fit(None, target=7)

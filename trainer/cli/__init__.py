"""The ``cla`` command line: one sub-module per command group.

Each sub-module exposes ``register(subparsers, common)``, which adds its
commands with ``common`` as a parent parser (``--config``, ``--models-dir``),
and sets ``handler(args, config) -> int`` as the command's function.
:func:`main` loads the configuration once, turns :class:`CLIError`,
``ConfigError`` and ``OSError`` into a one-line message on stderr with a
non-zero exit code, and never prints a traceback for an expected failure.
A command that sets ``folder_only`` (it needs only the models folder, as
``cla trainer stop`` and ``status`` do) runs on a broken config with a warning.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from trainer.atomic import WriteError, describe_os_error
from trainer.contract import exit_codes
from trainer.config import Config, ConfigError, load_config, load_models_dir_only
from trainer.errors import CLAError

#: command-group modules, in the order ``cla --help`` lists them
GROUPS = ("train", "models", "score", "drift", "service", "feedback", "demo", "dashboard", "notify", "config_cmd",
          "review", "backtest")

class CLIError(CLAError):
    """An expected failure: printed as ``cla: <message>`` with exit code ``code``."""

    def __init__(self, message: str, code: int = exit_codes.ERROR):
        super().__init__(message)
        self.code = code


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a value given before the command must survive the sub-parser's defaults.
    common.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS,
                        help="TOML config file (default: $CLA_CONFIG, then ./cla.toml)")
    common.add_argument("--models-dir", metavar="DIR", default=argparse.SUPPRESS,
                        help="models folder (default: $CLA_MODELS_DIR, then ./models)")
    parser = argparse.ArgumentParser(prog="cla", description="Continuous Learning Agent for alert triage.",
                                     parents=[common])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in GROUPS:
        importlib.import_module(f"trainer.cli.{name}").register(sub, common)
    return parser


def _config(args) -> Config:
    """The configuration; a ``folder_only`` command gets a warning and the models folder alone when it is broken."""
    path, models_dir = getattr(args, "config", None), getattr(args, "models_dir", None)
    try:
        return load_config(path, models_dir=models_dir)
    except ConfigError as exc:
        if not getattr(args, "folder_only", False):
            raise
        config = load_models_dir_only(path, models_dir=models_dir)
        print(f"cla: warning: configuration error: {exc}; this command needs only the models folder, so it goes on "
              f"with {config.layout.root} and default settings (fix the file for every other command)",
              file=sys.stderr)
        return config


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return exit_codes.USAGE
    try:
        config = _config(args)
        return int(args.handler(args, config) or 0)
    except CLIError as exc:
        _fail(args, str(exc))
        return exc.code
    except ConfigError as exc:
        _fail(args, f"configuration error: {exc}")
        return exit_codes.USAGE
    except BrokenPipeError:
        return 0  # the reader (e.g. `| head`) went away; nothing left to say
    except OSError as exc:
        _fail(args, str(exc) if isinstance(exc, WriteError)
              else (f"{exc.filename}: " if exc.filename else "") + describe_os_error(exc))
        return exit_codes.ERROR
    except KeyboardInterrupt:
        print("cla: interrupted", file=sys.stderr)
        return exit_codes.INTERRUPTED


def _fail(args, message: str) -> None:
    """Print ``cla: message`` on stderr, and on the ``--report-fd`` pipe when the caller gave one.

    ``cla trainer start`` reads that pipe: the service's stderr is its log,
    which a full disk or a read-only folder may swallow.
    """
    line = f"cla: {message}"
    fd = getattr(args, "report_fd", None)
    if fd is not None:
        try:
            os.write(fd, (line + "\n").encode("utf-8", errors="replace"))
        except OSError:
            pass  # the starter stopped listening; stderr has it
    try:
        print(line, file=sys.stderr, flush=True)
    except OSError:
        pass  # stderr is a log on a full disk: the report pipe, if any, carried the line

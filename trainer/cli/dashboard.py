"""``cla dashboard``: serve the Streamlit dashboard (``dashboard/app.py``) on port 8503.

The command replaces itself with ``python -m dashboard.serve run
dashboard/app.py``: Streamlit's ``streamlit run``, with the models folder read
while the server starts (:mod:`dashboard.serve`). Stopping it stops the server,
and nothing is left behind. It passes the options of
``dashboard/streamlit_config.toml`` explicitly with ``--port`` / ``--address``
on top (the file ships inside the package, so an installed wheel has it; the
checkout's ``.streamlit/config.toml`` is a link to it, for a bare ``streamlit
run``), and names the models folder and the configuration file in the
server's environment (``CLA_MODELS_DIR``, ``CLA_CONFIG``), which
``dashboard.context`` reads. The working directory is kept, so relative paths
in the configuration mean what they mean to ``cla train``;
``.streamlit/secrets.toml`` (logins) is read from there.

``cla dashboard hash-password`` prints the ``password_hash`` line of that
secrets file (:mod:`trainer.passwords`), reading the password from the
terminal (twice) or from standard input.
"""

from __future__ import annotations

import errno
import getpass
import os
import re
import socket
import sys
import tomllib
from pathlib import Path

import psutil

from trainer.cli import CLIError
from trainer.config import Config
from trainer.passwords import hash_password
from trainer.contract import exit_codes

PACKAGE = Path(__file__).resolve().parents[2] / "dashboard"
APP = PACKAGE / "app.py"
STREAMLIT_CONFIG = PACKAGE / "streamlit_config.toml"


def register(sub, common) -> None:
    p = sub.add_parser("dashboard", parents=[common], help="serve the dashboard on http://127.0.0.1:8503",
                       description="Serve the Streamlit dashboard for the configured models folder. Binding to "
                                   "anything but localhost makes control actions require a login.")
    p.add_argument("--port", type=int, default=None, help="port (default: dashboard.port, 8503)")
    p.add_argument("--address", default=None,
                   help="interface to bind (default: dashboard.address, 127.0.0.1; 0.0.0.0 for every interface)")
    p.set_defaults(handler=handle)
    commands = p.add_subparsers(dest="dashboard_command", metavar="COMMAND")
    hashing = commands.add_parser(
        "hash-password", help="print the password_hash line for .streamlit/secrets.toml",
        description="Read a password (asked twice on a terminal, else one line of standard input) and print "
                    "the [auth] password_hash line, a salted scrypt hash, for .streamlit/secrets.toml.")
    hashing.add_argument("--user", metavar="NAME",
                         help="print a `NAME = \"...\"` line for [auth.users] instead: each user logs in with "
                              "their own password and is recorded by that name")
    hashing.set_defaults(handler=handle_hash_password)


def streamlit_options(config_file: Path = STREAMLIT_CONFIG) -> dict[str, str]:
    """The dashboard's Streamlit options as ``{"section.key": "value"}``; CLIError when the file is missing or bad."""
    try:
        with open(config_file, "rb") as fh:
            sections = tomllib.load(fh)
    except FileNotFoundError:
        raise CLIError(f"the dashboard's Streamlit options {config_file} are missing; reinstall CLA") from None
    except tomllib.TOMLDecodeError as exc:
        raise CLIError(f"{config_file} is not valid TOML: {exc}") from None
    return {f"{section}.{key}": str(value).lower() if isinstance(value, bool) else str(value)
            for section, values in sections.items() for key, value in values.items()}


def command(config: Config, *, port: int | None = None, address: str | None = None) -> tuple[list[str], dict[str, str]]:
    """The Streamlit command line and the environment the dashboard server runs with."""
    port = port or config.dashboard.port
    address = address or config.dashboard.address
    if not 1 <= port <= 65535:
        raise CLIError(f"--port {port} is not a port number (1-65535)", 2)
    options = streamlit_options()
    options.update({"server.port": str(port), "server.address": address, "server.headless": "true",
                    "browser.gatherUsageStats": "false"})
    argv = [sys.executable, "-m", "dashboard.serve", "run", str(APP)]
    for key, value in options.items():
        argv += [f"--{key}", value]
    env = dict(os.environ, CLA_MODELS_DIR=str(config.layout.root))
    if config.config_file:
        env["CLA_CONFIG"] = config.config_file
    else:
        env.pop("CLA_CONFIG", None)
    return argv, env


def read_password() -> str:
    """The new password: asked twice on a terminal, else the first line of standard input."""
    if sys.stdin.isatty():
        password = getpass.getpass("Dashboard password: ")
        if getpass.getpass("Same password again: ") != password:
            raise CLIError("the two passwords differ; nothing printed")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise CLIError("the password is empty; give one (on a terminal, or as a line on standard input)", 2)
    return password


def handle_hash_password(args, config: Config) -> int:
    user = (getattr(args, "user", None) or "").strip()
    if user and not re.fullmatch(r"[A-Za-z0-9_.@-]{1,64}", user):
        print(f"cla: --user {user!r}: use letters, digits and . _ @ - (at most 64), as a TOML key", file=sys.stderr)
        return exit_codes.USAGE
    hashed = hash_password(read_password())
    print(f'"{user}" = "{hashed}"' if user else f'password_hash = "{hashed}"')
    where = "[auth.users]" if user else "[auth]"
    print(f"cla: put this line under {where} in .streamlit/secrets.toml, in the folder you run `cla dashboard` "
          "from (keep that file out of version control)", file=sys.stderr)
    return exit_codes.OK


def port_holder(address: str, port: int) -> tuple[int | None, str | None] | None:
    """None when ``address:port`` is free, else (pid or None, the models folder when it is a CLA dashboard)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # as the server will bind: a port whose last connections linger in TIME_WAIT after a dashboard stopped
        # is free to listen on, and must not read as "used by another program"
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((address, port))
            return None
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                return None  # not ours to judge: Streamlit reports it
    try:
        listening = [c for c in psutil.net_connections("tcp") if c.status == psutil.CONN_LISTEN and c.laddr
                     and c.laddr.port == port and c.pid]
        if not listening:
            return None, None
        process = psutil.Process(listening[0].pid)
        ours = any(part.endswith(str(Path("dashboard") / "app.py")) for part in process.cmdline())
        return process.pid, (process.environ().get("CLA_MODELS_DIR") or "an unknown folder") if ours else None
    except (psutil.Error, OSError):
        return None, None


def refuse_taken_port(config: Config, address: str, port: int) -> int | None:
    """Say who holds the port and how to pick another; returns the exit code, or None when the port is free."""
    held = port_holder(address, port)
    if held is None:
        return None
    pid, folder = held
    other = f"cla dashboard --port {port + 1}` or `make run PORT={port + 1}"
    if folder == str(config.layout.root):
        print(f"cla: a CLA dashboard (pid {pid}) already serves {folder} on http://{address}:{port}: open that "
              f"address, or serve a second one with `{other}`", file=sys.stderr)
        return exit_codes.OK
    holder = (f"a CLA dashboard (pid {pid}) for {folder}" if folder else
              f"another program (pid {pid})" if pid else "another program")
    print(f"cla: port {port} is already used by {holder}; pick another port: `{other}`", file=sys.stderr)
    return exit_codes.ERROR


def handle(args, config: Config) -> int:
    argv, env = command(config, port=args.port, address=args.address)
    if not APP.is_file():
        raise CLIError(f"the dashboard script {APP} is missing; reinstall CLA from its repository")
    address, port = argv[argv.index('--server.address') + 1], int(argv[argv.index('--server.port') + 1])
    refused = refuse_taken_port(config, address, port)
    if refused is not None:
        return refused
    print(f"cla: serving the dashboard for {config.layout.root} on http://{address}:{port}", file=sys.stderr,
          flush=True)
    os.execve(sys.executable, argv, env)
    return 0  # not reached: execve replaced this process

"""Who may press the dashboard's control buttons, and who pressed them.

``cla dashboard`` binds to 127.0.0.1 by default; there the OS user running it
is the actor and controls are open. When it is served on another interface,
on every interface (Streamlit's ``server.address`` unset or empty, as in a bare
``streamlit run`` from a folder without ``.streamlit/config.toml``), or when
``dashboard.require_login`` is set, control actions need a login, from
Streamlit secrets (``.streamlit/secrets.toml``):

* OIDC through ``st.login`` when ``[auth]`` holds ``client_id`` (or provider
  tables with one), as Streamlit documents;
* otherwise a shared password, stored as a salted scrypt hash:
  ``[auth] password_hash = "scrypt$..."``, the line ``cla dashboard
  hash-password`` prints (:mod:`trainer.passwords`). The user also gives a
  name, which becomes the actor of every action. Failed logins are throttled
  per browser session and per name (:class:`dashboard.throttle.LoginThrottle`:
  the wait doubles with each failure). The old plain ``password`` and unsalted
  ``password_sha256`` forms are refused with what to do instead.

Without either, the app stays read-only and :func:`can_control` says why.
A disabled button is not the check: every action calls :func:`authorize`
where it runs, which records a refusal in the event log (``action_refused``)
with who tried. The decisions (:func:`is_loopback`, :func:`login_required`,
:func:`auth_mode`, :func:`password_problem`, :func:`password_matches`,
:func:`attempt_login`, :func:`decide`) are plain functions;
:func:`current_user`, :func:`can_control`, :func:`authorize` and
:func:`login_panel` read Streamlit's session, secrets and user. The OIDC user
(``st.user``: its ``email``, else ``name``, else ``sub``) is the actor of every
action, as a password user's name is; :func:`oidc_problem` says when
``st.login`` cannot work (Streamlit's auth extra missing).
"""

from __future__ import annotations

import logging
import math
import os
import stat
import uuid
from collections.abc import Mapping
from typing import Any

import streamlit as st

from dashboard.markdown import literal
from dashboard.throttle import LoginThrottle
from trainer.addresses import is_loopback
from trainer.config import Config
from trainer.folder import append_event, local_user
from trainer.passwords import N as PASSWORD_COST
from trainer.passwords import PasswordHashError, parse_hash, verify_password

log = logging.getLogger("cla.dashboard")

USER_KEY = "_cla_user"
SESSION_KEY = "_cla_login_session"
LEGACY_PASSWORD_KEYS = ("password", "password_sha256")


def served_address() -> str:
    """The address the server really binds to: Streamlit's ``server.address``, "" when unset (every interface).

    ``dashboard.address`` is not consulted: it is what ``cla dashboard`` asks
    Streamlit for, and a server started another way binds what Streamlit says.
    """
    try:
        option = st.get_option("server.address")
    except RuntimeError:
        option = None
    return str(option or "").strip()


def describe_address(address: str) -> str:
    """Where the server listens, in words: the address, or "every interface" when none is set."""
    return address or "every interface (Streamlit's server.address is unset)"


def login_required(address: str, require_login: bool) -> bool:
    """Whether control actions need a login on a server bound to ``address``."""
    return require_login or not is_loopback(address)


def _auth_section(secrets: Any) -> Mapping[str, Any]:
    try:
        section = secrets.get("auth") if secrets is not None else None
    except (FileNotFoundError, KeyError, AttributeError, RuntimeError):
        section = None
    return section if isinstance(section, Mapping) else {}


def auth_mode(secrets: Any) -> str | None:
    """``oidc`` when an OIDC provider is configured, ``password`` when a password is, else None."""
    section = _auth_section(secrets)
    if "client_id" in section or any(isinstance(v, Mapping) and "client_id" in v for v in section.values()):
        return "oidc"
    if any(section.get(key) for key in ("password_hash", *LEGACY_PASSWORD_KEYS)) or _users(secrets):
        return "password"
    return None


def _users(secrets: Any) -> dict[str, str]:
    """``[auth.users]``: each configured user's name and password hash (empty when there is none)."""
    users = _auth_section(secrets).get("users")
    return {str(name): str(stored) for name, stored in users.items()} if isinstance(users, Mapping) else {}


def login_identity(name: str, secrets: Any) -> str:
    """Who a successful login is, as the audit trail records it: the configured ``[auth.users]`` name it
    matched (its case as configured); with only the shared ``password_hash``, the name typed marked
    ``(shared password)``, since anyone with that password could have typed any name."""
    typed = name.strip()
    users = _users(secrets)
    if not users:
        return f"{typed} (shared password)"
    return next((user for user in users if user.casefold() == typed.casefold()), typed)


def password_problem(secrets: Any) -> str:
    """What is wrong with the configured password and what to do ("" when it is usable or absent)."""
    section = _auth_section(secrets)
    for user, hashed in _users(secrets).items():
        try:
            parse_hash(hashed)
        except PasswordHashError as exc:
            return f"[auth.users] {user}: {exc} (in .streamlit/secrets.toml)."
    stored = section.get("password_hash")
    if not stored:
        if any(section.get(key) for key in LEGACY_PASSWORD_KEYS):
            return ("[auth] password and password_sha256 in .streamlit/secrets.toml are no longer accepted: a "
                    "plain or unsalted password is one leaked file away from the login. Run `cla dashboard "
                    "hash-password` and put the password_hash line it prints there instead.")
        return ""
    try:
        parse_hash(str(stored))
    except PasswordHashError as exc:
        return f"[auth] {exc} (in .streamlit/secrets.toml)."
    return ""


def password_matches(entered: str, secrets: Any, name: str = "") -> bool:
    """Whether ``entered`` is the password: the hash of the ``[auth.users]`` entry named ``name`` when users
    are configured (an unknown name never matches), else ``[auth] password_hash``; False when none is usable."""
    users = _users(secrets)
    if users:
        stored = next((h for user, h in users.items() if user.casefold() == name.strip().casefold()), None)
    else:
        stored = _auth_section(secrets).get("password_hash")
    if not stored:
        return False
    try:
        return verify_password(entered, str(stored))
    except PasswordHashError:
        return False


def attempt_login(name: str, password: str, secrets: Any, throttle: LoginThrottle, session: str, *,
                  client: str | None = None, events=None) -> str | None:
    """Check one password login: None when it succeeds, else the sentence to show.

    Failures are counted per browser session, per name, per client address
    and for the whole server: a guesser who opens a fresh session and types a
    new name for every try still waits, because the address and the server
    count every failure. While any of them must wait, the password is not
    even checked; each failure doubles the waits. Every failure and every
    refusal is appended to the event log (``login_failed``) when ``events`` is
    given, with the name typed and the client address.
    """
    name = name.strip()
    if not name:
        return "Give your name: it is recorded with every action you take."
    keys = (("session", session), ("user", name.casefold()), ("client", client or "unknown"), ("server", "all"))
    wait = throttle.wait(*keys)
    if wait > 0:
        _record_failure(events, name, client, f"refused without checking: the next try waits {math.ceil(wait)} s")
        return f"Too many failed logins: try again in {math.ceil(wait)} s."
    if password_matches(password, secrets, name):
        throttle.succeeded(("session", session), ("user", name.casefold()))
        return None
    wait = throttle.failed(*keys)
    _record_failure(events, name, client, f"wrong name or password; the next try waits {math.ceil(wait)} s")
    what = "Wrong name or password" if _users(secrets) else "Wrong password"
    return f"{what}. The next try waits {math.ceil(wait)} s."


def _record_failure(events, name: str, client: str | None, what: str) -> None:
    if events is None:
        return
    try:
        append_event(events, "login_failed", actor="anonymous", trigger="dashboard",
                     message=f"failed login as {name!r} from {client or 'an unknown address'}: {what}",
                     name=name, client=client)
    except OSError as exc:
        log.warning("cannot record a failed login in %s: %s", events, exc)


def weak_hashes(secrets: Any) -> str:
    """A notice when a stored hash was made at a lower scrypt cost than today's ("" otherwise).

    Such a hash still verifies; the dashboard cannot rewrite the secrets file
    itself, so the notice names the command that makes a stronger one."""
    stored = {"password_hash": _auth_section(secrets).get("password_hash"),
              **{f"[auth.users] {user}": hashed for user, hashed in _users(secrets).items()}}
    weak = []
    for where, hashed in stored.items():
        try:
            n = parse_hash(str(hashed))[0] if hashed else None
        except PasswordHashError:
            continue
        if n is not None and n < PASSWORD_COST:
            weak.append(f"{where} (N={n})")
    if not weak:
        return ""
    return (f"{', '.join(weak)} in .streamlit/secrets.toml uses a lower scrypt cost than the current N={PASSWORD_COST}: "
            "it still works, but a leaked file is cheaper to guess. Make a new one with `cla dashboard "
            "hash-password` (`--user NAME` for a user) and replace it.")


def secrets_exposure(path: str | os.PathLike = ".streamlit/secrets.toml") -> str:
    """A warning when the secrets file holding the password hash can be read by other users ("" otherwise)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return ""
    if mode & 0o077:
        return (f"{path} can be read by other users of this machine (mode {stat.filemode(mode)}): it holds the "
                f"password hash. Run `chmod 600 {path}`.")
    return ""


def decide(*, address: str, require_login: bool, mode: str | None, user: str | None) -> tuple[bool, str]:
    """Whether controls are allowed, and the sentence shown when they are not (empty when they are)."""
    if not login_required(address, require_login):
        return True, ""
    why = (f"the dashboard is served on {describe_address(address)}, not only on this machine"
           if not is_loopback(address) else "dashboard.require_login is set")
    if user:
        return True, ""
    if mode is None:
        return False, (f"Read-only: {why}, and no login is configured. Add [auth] password_hash (printed by "
                       "`cla dashboard hash-password`) or an OIDC provider to .streamlit/secrets.toml, or serve "
                       "on 127.0.0.1.")
    return False, f"Read-only until you log in: {why}. Log in on the Overview page."


def oidc_problem() -> str:
    """What keeps ``st.login`` from working here ("" when nothing does): Streamlit's auth extra is not installed."""
    import importlib.util

    if importlib.util.find_spec("authlib") is None:
        return ("the OIDC login in .streamlit/secrets.toml needs Streamlit's auth extra, which is not installed: "
                "run `pip install 'cla[sso]'` (or `pip install 'streamlit[auth]'`) where the dashboard runs, "
                "then restart it.")
    return ""


def _oidc_user() -> str | None:
    try:
        user = st.user
        if not user.is_logged_in:
            return None
        return str(user.get("email") or user.get("name") or user.get("sub") or "oidc user")
    except (AttributeError, KeyError, RuntimeError):
        return None


def logged_in_user() -> str | None:
    """The name of the user logged in to this session (password or OIDC), or None."""
    return st.session_state.get(USER_KEY) or _oidc_user()


def can_control(config: Config) -> tuple[bool, str]:
    """(allowed, reason): whether this session may start, stop or retrain, and why not."""
    return decide(address=served_address(), require_login=config.dashboard.require_login,
                  mode=auth_mode(st.secrets), user=logged_in_user())


def _client_address() -> str | None:
    try:
        return st.context.ip_address
    except (AttributeError, RuntimeError):
        return None


def authorize(config: Config, action: str) -> tuple[bool, str]:
    """(allowed, reason) for ``action`` at the moment it runs; a refusal is appended to the event log.

    The refusal's actor is the logged-in name, or ``anonymous``; the client's
    address is kept with it when Streamlit knows it. When the event log cannot
    be written the action is still refused, and the reason says so.
    """
    allowed, reason = can_control(config)
    if not allowed:
        events = config.layout.events
        try:
            append_event(events, "action_refused", actor=logged_in_user() or "anonymous", trigger="dashboard",
                         message=f"{action}: {reason}", action=action, client=_client_address())
        except OSError as exc:
            reason += f" (this refusal could not be recorded in {events}: {exc.strerror or exc})"
    return allowed, reason


@st.cache_resource(show_spinner=False)
def login_throttle() -> LoginThrottle:
    """The one failed-login throttle of this server process, shared by every session."""
    return LoginThrottle()


def current_user(config: Config) -> str:
    """The actor recorded for this session's actions: the logged-in name, else the OS user."""
    return logged_in_user() or local_user()


def login_panel(config: Config) -> None:
    """Login (in the page) or logout (in the sidebar) when this server needs one; nothing on localhost.

    The Overview calls it above its controls; a login holds for the whole
    session, so it also unlocks the Models page's actions.
    """
    if not login_required(served_address(), config.dashboard.require_login):
        return
    mode = auth_mode(st.secrets)
    user = logged_in_user()
    if user:
        with st.sidebar:
            st.caption(f"Logged in as {literal(user)}")
            if st.button("Log out", key="logout"):
                st.session_state.pop(USER_KEY, None)
                if mode == "oidc" and _oidc_user():
                    st.logout()
                st.rerun()
        return
    if mode == "oidc":
        problem = oidc_problem()
        if problem:
            st.error(f"The single sign-on login is not usable: {problem}")
            return
        if st.button("Log in to use the controls", key="login_oidc", icon=":material/login:"):
            st.login()
        return
    if mode == "password":
        problem = password_problem(st.secrets)
        if problem:
            st.error(f"The password login is not usable: {problem}")
            return
        for notice in (secrets_exposure(), weak_hashes(st.secrets)):
            if notice:
                st.warning(notice, icon=":material/lock_open:")
        session = st.session_state.setdefault(SESSION_KEY, uuid.uuid4().hex)
        with st.expander("Log in to use the controls", icon=":material/lock:"):
            with st.form("login", clear_on_submit=True):
                name = st.text_input("Your name", key="login_name",
                                     help="Recorded with every action you take.")
                password = st.text_input("Password", type="password", key="login_password")
                if st.form_submit_button("Log in"):
                    error = attempt_login(name, password, st.secrets, login_throttle(), session,
                                          client=_client_address(), events=config.layout.events)
                    if error is None:
                        st.session_state[USER_KEY] = login_identity(name, st.secrets)
                        st.rerun()
                    st.error(error)

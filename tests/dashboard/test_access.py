"""Who may press the controls: loopback detection, login modes, password checks, the read-only reason."""

from __future__ import annotations

import pytest

from dashboard.access import auth_mode, decide, is_loopback, login_required, password_matches
from trainer.passwords import hash_password


@pytest.mark.parametrize("address, loopback", [
    ("127.0.0.1", True), ("127.0.1.1", True), ("localhost", True), ("::1", True), ("[::1]", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.20", False), ("soc-dash.example", False), ("", False),
])
def test_is_loopback(address, loopback):
    assert is_loopback(address) is loopback


@pytest.mark.parametrize("address, require, needed", [
    ("127.0.0.1", False, False), ("127.0.0.1", True, True), ("0.0.0.0", False, True),
])
def test_login_required(address, require, needed):
    assert login_required(address, require) is needed


@pytest.mark.parametrize("secrets, mode", [
    ({}, None),
    (None, None),
    ({"auth": {"password_hash": "scrypt$..."}}, "password"),
    ({"auth": {"password": "x"}}, "password"),  # refused with what to do: tests/dashboard/test_access_login.py
    ({"auth": {"redirect_uri": "http://localhost:8503/oauth2callback", "cookie_secret": "s", "client_id": "c",
               "client_secret": "s", "server_metadata_url": "https://idp/.well-known/openid-configuration"}}, "oidc"),
    ({"auth": {"redirect_uri": "u", "cookie_secret": "s", "google": {"client_id": "c"}}}, "oidc"),
    ({"auth": "not a table"}, None),
])
def test_auth_mode(secrets, mode):
    assert auth_mode(secrets) == mode


def test_password_matches_the_stored_hash_only():
    secrets = {"auth": {"password_hash": hash_password("correct horse")}}
    assert password_matches("correct horse", secrets)
    assert not password_matches("correct horse ", secrets)
    assert not password_matches("", secrets)


def test_no_configured_password_never_matches():
    assert not password_matches("", {"auth": {}})
    assert not password_matches("anything", {})


def test_localhost_is_open_with_no_reason():
    assert decide(address="127.0.0.1", require_login=False, mode=None, user=None) == (True, "")


@pytest.mark.parametrize("mode, says", [
    (None, "no login is configured"),
    ("password", "Log in on the Overview page"),
    ("oidc", "Log in on the Overview page"),
])
def test_other_interfaces_are_read_only_until_login(mode, says):
    allowed, reason = decide(address="0.0.0.0", require_login=False, mode=mode, user=None)
    assert not allowed
    assert "served on 0.0.0.0" in reason and says in reason
    assert decide(address="0.0.0.0", require_login=False, mode=mode, user="alice") == (True, "")


def test_require_login_on_localhost_says_so():
    allowed, reason = decide(address="127.0.0.1", require_login=True, mode="password", user=None)
    assert not allowed and "dashboard.require_login is set" in reason

"""``cla dashboard hash-password`` prints the secrets line of a salted, slow password hash."""

from __future__ import annotations

import subprocess
import sys
import tomllib

from trainer.passwords import verify_password

CLA = [sys.executable, "-m", "trainer"]


def test_hash_password_prints_the_line_for_the_secrets_file(workdir):
    done = subprocess.run([*CLA, "dashboard", "hash-password"], input="correct horse\n", capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith('password_hash = "scrypt$') and done.stdout.count("\n") == 1
    stored = tomllib.loads(f"[auth]\n{done.stdout}")["auth"]["password_hash"]
    assert verify_password("correct horse", stored) and not verify_password("correct horse\n", stored)
    assert "correct horse" not in done.stdout + done.stderr
    assert "under [auth] in .streamlit/secrets.toml" in done.stderr


def test_hash_password_refuses_an_empty_password(workdir):
    done = subprocess.run([*CLA, "dashboard", "hash-password"], input="\n", capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert "cla: the password is empty" in done.stderr


def test_hash_password_for_a_user_prints_the_line_for_auth_users(workdir):
    done = subprocess.run([*CLA, "dashboard", "hash-password", "--user", "alice"], input="alice's own\n",
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    users = tomllib.loads(f"[auth.users]\n{done.stdout}")["auth"]["users"]
    assert list(users) == ["alice"] and verify_password("alice's own", users["alice"])
    assert "under [auth.users] in .streamlit/secrets.toml" in done.stderr
    bad = subprocess.run([*CLA, "dashboard", "hash-password", "--user", 'a"] = 1'], input="x\n",
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and bad.stdout == "" and "as a TOML key" in bad.stderr

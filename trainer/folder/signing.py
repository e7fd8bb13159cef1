"""Model signatures: an HMAC-SHA-256 of each model file under a key kept outside the models folder.

A pickle runs code when it is loaded. A SHA-256 stored beside the pickle does
not stop a forged one: whoever can write the pickle can rewrite its metrics
file too. So :func:`trainer.folder.pairs.write_pair` also records ``model_hmac``,
an HMAC-SHA-256 of the model id and the model file's bytes under a secret
key that lives outside the models folder (``Config.model_key_path``:
``model_key_file``, overridden by ``CLA_MODEL_KEY``, default
``~/.config/cla/model.key``). The first write creates the key, mode 0600.

:func:`verify` gives a pair's :class:`Verdict`: ``verified``, ``unsigned``
(no signature: the old CLA's files, or files written before signing),
``tampered`` (the signature or the SHA-256 does not match) or
``unverifiable`` (this host has no usable key). `trainer.folder.scoring` unpickles
only a verified pair (an unsigned one only when the caller opts in);
`trainer.folder.registry` and the dashboard show the verdict and never unpickle.
What this stops and what it does not: docs/REGISTRY.md, "Trust".
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainer.config import MODEL_KEY_ENV, default_model_key_path
from trainer.contract.layout import model_file_name
from trainer.reading import MODEL_MAX_BYTES, FileStamp, file_stamp, open_regular, stat_stamp
from trainer.errors import CLAError

log = logging.getLogger("cla.signing")

SIGNATURE_FIELD = "model_hmac"
KEY_ID_FIELD = "model_key_id"
#: random bytes in a new key (written as hex)
KEY_BYTES = 32
#: the shortest key accepted from a file someone provides
MIN_KEY_CHARS = 32
#: what the MAC covers besides the bytes: a version tag and the model id, so a signed pickle cannot be
#: copied under another pair's name with its signature
MAC_DOMAIN = b"cla-model-v1\0"

VERIFIED, UNSIGNED, TAMPERED, UNVERIFIABLE = "verified", "unsigned", "tampered", "unverifiable"


class KeyUnavailable(CLAError, RuntimeError):
    """The model key cannot be read or created; the message names the file and what to do."""


@dataclass(frozen=True)
class ModelKey:
    """The secret that signs model files, and where it was read from."""

    path: Path
    secret: bytes = field(repr=False)

    @property
    def key_id(self) -> str:
        """A short public fingerprint, recorded with each signature so a mismatch can say "another key"."""
        return hashlib.sha256(b"cla-model-key-id\0" + self.secret).hexdigest()[:16]

    def mac(self, model_id: str) -> "hmac.HMAC":
        """A fresh HMAC for ``model_id``'s file; feed it the file's bytes."""
        return hmac.new(self.secret, MAC_DOMAIN + model_id.encode("ascii") + b"\0", hashlib.sha256)

    def sign_file(self, model_id: str, path: str | os.PathLike, chunk: int = 1 << 20) -> str:
        """Hex HMAC of the model file at ``path``."""
        mac = self.mac(model_id)
        with open_regular(path, MODEL_MAX_BYTES) as fh:
            while block := fh.read(chunk):
                mac.update(block)
        return mac.hexdigest()

    def signature_fields(self, model_id: str, path: str | os.PathLike) -> dict[str, str]:
        """The metrics-file keys that sign pair ``model_id`` whose model file is at ``path``."""
        return {SIGNATURE_FIELD: self.sign_file(model_id, path), KEY_ID_FIELD: self.key_id}


@dataclass(frozen=True)
class Verdict:
    """Whether a pair's model file is the one CLA signed; ``reason`` is a sentence naming the file and what to do."""

    state: str
    reason: str

    @property
    def trusted(self) -> bool:
        return self.state == VERIFIED


_keys: dict[Path, tuple[tuple, ModelKey]] = {}
_keys_lock = threading.Lock()


def resolve_key_file(key_file: str | os.PathLike | None) -> Path:
    """``key_file``, else ``CLA_MODEL_KEY``, else the default place; the config file is never read here.

    Callers that hold a configuration pass its ``model_key_path`` (which
    honours ``model_key_file``), so a registry or a check never depends on the
    working directory's ``cla.toml``.
    """
    if key_file:
        return Path(key_file)
    env = os.environ.get(MODEL_KEY_ENV)
    return Path(env).expanduser().resolve() if env else default_model_key_path()


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _check_place(path: Path, models_dir: str | os.PathLike | None) -> None:
    if models_dir is None:
        return
    real, folder = Path(os.path.realpath(path)), Path(os.path.realpath(models_dir))
    if _inside(real, folder):
        raise KeyUnavailable(f"the model key {path} is inside the models folder {folder}: whoever can write that "
                             "folder could read or replace it, so it proves nothing; move it elsewhere and point "
                             "model_key_file (or CLA_MODEL_KEY) at it")


def _create(path: Path) -> None:
    """Write a new random key at ``path`` (mode 0600) unless one appears there first."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.partial"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(KEY_BYTES) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.link(tmp, path)  # fails if another process created the key meanwhile: theirs stands
            log.warning("created the model key %s (mode 0600): it signs every model; keep it outside the models "
                        "folder and copy it to every host that scores or shows these models", path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    except OSError as exc:
        raise KeyUnavailable(f"cannot create the model key {path}: {exc.strerror or exc}; point model_key_file "
                             "(or CLA_MODEL_KEY) at a writable place outside the models folder") from exc


def load_key(key_file: str | os.PathLike | None = None, *, models_dir: str | os.PathLike | None = None,
             create: bool = False) -> ModelKey:
    """The model key at ``key_file`` (default: :func:`resolve_key_file`), cached by the file's mtime, size and inode.

    ``create`` makes a new key when there is none (the writer does; readers
    never do: a new key could not verify anything). Raises
    :class:`KeyUnavailable` when the key is missing, unreadable, too short,
    writable or readable by every user, or inside ``models_dir``.
    """
    path = resolve_key_file(key_file)
    _check_place(path, models_dir)
    if create and not path.exists():
        _create(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise KeyUnavailable(f"the model key {path} does not exist, so signed models cannot be checked: copy the "
                             "key of the host that trained them there (mode 0600), or point model_key_file "
                             "(or CLA_MODEL_KEY) at it") from None
    except OSError as exc:
        raise KeyUnavailable(f"cannot read the model key {path}: {exc.strerror or exc}") from exc
    if st.st_mode & 0o022:
        raise KeyUnavailable(f"the model key {path} is writable by other users (mode {st.st_mode & 0o777:o}): anyone "
                             f"could replace it; run `chmod 600 {path}`")
    if st.st_mode & 0o004:
        raise KeyUnavailable(f"the model key {path} is readable by every user (mode {st.st_mode & 0o777:o}): anyone "
                             f"could sign a model; run `chmod 600 {path}` (or 640 for a dashboard user's group)")
    signature = stat_stamp(st)
    with _keys_lock:
        cached = _keys.get(path)
        if cached and cached[0] == signature:
            return cached[1]
    try:
        secret = path.read_bytes().strip()
    except OSError as exc:
        raise KeyUnavailable(f"cannot read the model key {path}: {exc.strerror or exc}; the user running CLA "
                             "(and the dashboard) needs read access") from exc
    if len(secret) < MIN_KEY_CHARS:
        raise KeyUnavailable(f"the model key {path} holds {len(secret)} characters, fewer than {MIN_KEY_CHARS}: it "
                             "is not a usable key; remove it and let the next training create one")
    key = ModelKey(path, secret)
    with _keys_lock:
        _keys[path] = (signature, key)
    return key


def key_signature(key_file: Path) -> FileStamp | None:
    """The key file's change stamp (ctime in it), or None: what a cached verdict depends on besides the pair."""
    return file_stamp(key_file)


def verify(model_id: str, metrics: dict[str, Any], data: bytes | str | os.PathLike, *,
           key_file: str | os.PathLike | None = None, models_dir: str | os.PathLike | None = None) -> Verdict:
    """The :class:`Verdict` on pair ``model_id`` given its metrics dict and its model file (bytes or a path).

    The recorded SHA-256 is checked too, when there is one, so an unsigned
    pair that was damaged still reads ``tampered``. Raises OSError when a
    model file given by path cannot be read.
    """
    name = model_file_name(model_id)
    where = "the models folder" if models_dir is None else str(models_dir)
    recorded = metrics.get(SIGNATURE_FIELD)
    recorded_sha = metrics.get("model_sha256")
    if not recorded:
        if recorded_sha and _sha256(data) != recorded_sha:
            return Verdict(TAMPERED, f"{name} does not match the SHA-256 recorded in its metrics file: it was altered "
                                     "or corrupted and is never loaded; roll back with `cla models rollback` or retrain")
        if "schema_version" in metrics or recorded_sha:
            # The format CLA has signed since it began to sign: only a hand that removed the signature (or
            # wrote the file itself) leaves one out. Calling it "old" would let --allow-unsigned run it.
            return Verdict(TAMPERED, f"{name} has no signature although its metrics file is in the format CLA "
                                     "signs: the signature was removed or the pair was written by hand. It is never "
                                     "loaded, even with --allow-unsigned; roll back with `cla models rollback` or "
                                     "retrain with `cla train`")
        origin = "written by the old CLA"
        return Verdict(UNSIGNED, f"{name} is unsigned ({origin}): nothing proves CLA wrote it, anyone who could write "
                                 f"{where} could have, so it is shown but not loaded; retrain with `cla train` for a "
                                 "signed model, or load it anyway with `cla score --allow-unsigned` "
                                 "(allow_unsigned=True) if you trust everyone who could write that folder")
    try:
        key = load_key(key_file, models_dir=models_dir)
    except KeyUnavailable as exc:
        return Verdict(UNVERIFIABLE, f"{name} is signed but cannot be checked here: {exc}")
    if isinstance(data, bytes):
        mac = key.mac(model_id)
        mac.update(data)
        actual = mac.hexdigest()
    else:
        actual = key.sign_file(model_id, data)
    if hmac.compare_digest(actual.encode(), str(recorded).encode("utf-8", "replace")):
        return Verdict(VERIFIED, f"{name} matches its signature under the model key {key.path}")
    recorded_key = metrics.get(KEY_ID_FIELD)
    why = (f"it was signed with another key ({recorded_key}; the key here, {key.path}, is {key.key_id}), or its "
           "metrics file was forged" if recorded_key and recorded_key != key.key_id
           else "the file was altered after CLA signed it, or its signature was rewritten")
    return Verdict(TAMPERED, f"{name} fails its signature check (HMAC-SHA-256 under the model key): {why}. It is "
                             "never loaded; roll back with `cla models rollback` or retrain with `cla train`")


def _sha256(data: bytes | str | os.PathLike) -> str:
    if isinstance(data, bytes):
        return hashlib.sha256(data).hexdigest()
    from trainer.atomic import sha256_file

    return sha256_file(data)

"""Secrets at rest: WB tokens and LLM keys sealed with AES-256-GCM, one-time tokens hashed.

A backup or a read-only look at the database must not hand out a usable token. Sealed values
keep their columns (`stores.api_token`, `user_settings.deepseek_api_key`, ...) and read
`enc:v1:<key id>:<base64url(nonce + ciphertext + tag)>`; a value without the prefix is a row
written before sealing existed, read as is and sealed by the start-up step
(`db.repos.sealed.seal_stored_secrets`). The repositories seal on write and open on read, so
the rest of the code sees plaintext; a value the configured keys cannot open raises
`SecretUnreadable`, never returns garbage.

The key comes from `SECRET_KEY` (any string of 32+ characters; HKDF-SHA256 turns it into the
AES key), or, when unset, from `DATA_DIR/secret.key`, created on first start. `SECRET_KEY_OLD`
is read too while a rotation is under way (`wbrep secrets rotate`).

Personal-link and invite tokens are one-time and carry enough entropy: only their SHA-256 is
stored (`token_hash`) and rows are found by it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

log = logging.getLogger(__name__)

PREFIX = "enc:v1:"
MIN_SECRET_LENGTH = 32
KEY_FILE = "secret.key"
_NONCE = 12
_INFO = b"wbrep secrets at rest v1"

UNREADABLE_MESSAGE = (
    "the stored token cannot be read with the current SECRET_KEY; replace the token or restore"
    " the key"
)


class SecretUnreadable(Exception):
    """A sealed value that none of the configured keys opens (wrong or lost SECRET_KEY)."""

    def __init__(self, key_id: str | None) -> None:
        super().__init__(UNREADABLE_MESSAGE + (f" (sealed with key {key_id})" if key_id else ""))
        self.key_id = key_id


class SecretKeyError(Exception):
    """SECRET_KEY (or the key file) is unusable; the message is one line for the operator."""


def token_hash(token: str) -> str:
    """What is stored for a one-time token: the same as SQL
    `encode(sha256(convert_to(token, 'UTF8')), 'hex')` (migration 0012)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def generate_secret() -> str:
    """A new SECRET_KEY value (43 URL-safe characters, 256 bits)."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class Key:
    """One AES-256-GCM key derived from a SECRET_KEY string; `id` names it in sealed values."""

    id: str
    aead: AESGCM = field(repr=False, compare=False)

    @classmethod
    def from_secret(cls, secret: str) -> Key:
        secret = secret.strip()
        if len(secret) < MIN_SECRET_LENGTH:
            raise SecretKeyError(
                f"SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters"
                " (make one with `wbrep secrets generate`)"
            )
        raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
            secret.encode("utf-8")
        )
        key_id = hashlib.sha256(b"wbrep key id\x00" + raw).hexdigest()[:8]
        return cls(id=key_id, aead=AESGCM(raw))


def is_sealed(value: str | None) -> bool:
    return value is not None and value.startswith(PREFIX)


def key_id_of(value: str) -> str | None:
    """The key id a sealed value names (None for plaintext)."""
    if not is_sealed(value):
        return None
    return value[len(PREFIX) :].split(":", 1)[0]


class Keyring:
    """The current key (seals) and older ones (only open, during a rotation)."""

    def __init__(self, current: Key, old: Sequence[Key] = ()) -> None:
        self.current = current
        self._keys = {current.id: current}
        for key in old:
            self._keys.setdefault(key.id, key)

    def __repr__(self) -> str:
        return f"Keyring(current={self.current.id!r}, keys={sorted(self._keys)!r})"

    @property
    def old(self) -> list[Key]:
        return [k for k in self._keys.values() if k.id != self.current.id]

    def knows(self, key_id: str) -> bool:
        return key_id in self._keys

    def seal(self, plaintext: str) -> str:
        nonce = os.urandom(_NONCE)
        box = self.current.aead.encrypt(nonce, plaintext.encode("utf-8"), None)
        body = base64.urlsafe_b64encode(nonce + box).decode("ascii")
        return f"{PREFIX}{self.current.id}:{body}"

    def open(self, stored: str) -> str:
        """Plaintext of a stored value; a value without the prefix is returned as it is."""
        if not is_sealed(stored):
            return stored
        key_id, _, body = stored[len(PREFIX) :].partition(":")
        key = self._keys.get(key_id)
        if key is None:
            raise SecretUnreadable(key_id)
        try:
            blob = base64.urlsafe_b64decode(body.encode("ascii"))
            return key.aead.decrypt(blob[:_NONCE], blob[_NONCE:], None).decode("utf-8")
        except (InvalidTag, ValueError, binascii.Error, UnicodeError):
            raise SecretUnreadable(key_id) from None

    def needs_reseal(self, stored: str) -> bool:
        """Plaintext, or sealed with a key other than the current one."""
        return key_id_of(stored) != self.current.id


def load_key_file(data_dir: Path) -> Key:
    """The key in `DATA_DIR/secret.key`, created (0600) on first start, with one log line.

    Two processes starting at once agree: the file is written aside and linked into place,
    which fails for the loser, who then reads the winner's file."""
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        tmp = data_dir / f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as f:
                f.write(generate_secret() + "\n")
            try:
                os.link(tmp, path)
                log.warning(
                    "SECRET_KEY is not set: created %s; keep it with the database backups"
                    " (tokens cannot be read without it) or set SECRET_KEY",
                    path,
                )
            except FileExistsError:
                pass
        finally:
            tmp.unlink(missing_ok=True)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SecretKeyError(f"cannot read the key file {path}: {exc.strerror}") from None
    return Key.from_secret(text)


def write_key_file(data_dir: Path, secret: str) -> None:
    """Replace `DATA_DIR/secret.key` (0600) at once: a reader sees the old or the new key."""
    Key.from_secret(secret)  # refuse a short one before anything changes
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = data_dir / f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secret.strip() + "\n")
        os.replace(tmp, data_dir / KEY_FILE)
    finally:
        tmp.unlink(missing_ok=True)


def build_keyring(secret_key: str | None, secret_key_old: str | None, data_dir: Path) -> Keyring:
    """SECRET_KEY (else the key file) seals; SECRET_KEY_OLD only opens."""
    current = Key.from_secret(secret_key) if secret_key else load_key_file(data_dir)
    old = [Key.from_secret(secret_key_old)] if secret_key_old else []
    return Keyring(current, old)


# The process' keyring, set once at start-up (`configure`): repositories are plain functions
# over a connection, and threading a keyring through every caller that reads a store would
# put it in front of code that never touches a token.
_keyring: Keyring | None = None


def configure(keyring: Keyring | None) -> None:
    global _keyring
    _keyring = keyring


def keyring() -> Keyring:
    if _keyring is None:
        raise RuntimeError("secrets at rest: no keyring configured (db.secrets.configure)")
    return _keyring


def seal(value: str | None) -> str | None:
    """Seal a value for storage (None and "" stay as they are: nothing to hide)."""
    if not value:
        return value
    return keyring().seal(value)


def unseal(value: str | None) -> str | None:
    """Open a stored value (None stays None); SecretUnreadable when no key opens it."""
    if value is None or not is_sealed(value):
        return value
    return keyring().open(value)

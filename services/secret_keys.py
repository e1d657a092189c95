"""The key that seals WB tokens and LLM keys at rest: a new one, and the keys of a rotation
(`wbrep secrets`). The re-sealing itself is the start-up step (`services.database.open_database`) run
with the rotation's keyring."""

from __future__ import annotations

from pathlib import Path

from db.secrets import (
    KEY_FILE,
    Key,
    Keyring,
    SecretKeyError,
    SecretUnreadable,
    generate_secret,
    write_key_file,
)
from services.settings import Settings

__all__ = ["RotationError", "SecretUnreadable", "generate", "keep_new_key", "rotation_keyring"]


class RotationError(Exception):
    """A rotation cannot start: `code` is `missing` (no new key given, and SECRET_KEY_OLD not
    set) or `malformed` (the new key is not a valid key; `detail` says why)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code
        self.detail = detail


def generate() -> str:
    """A new random key for SECRET_KEY; nothing is stored."""
    return generate_secret()


def rotation_keyring(settings: Settings, new_secret: str | None) -> Keyring:
    """The keys to re-seal with. With `new_secret`: it is current and the configured keys
    (SECRET_KEY or DATA_DIR/secret.key, SECRET_KEY_OLD) only open. Without it: SECRET_KEY is
    the new key and SECRET_KEY_OLD the old one, both must be set."""
    configured = settings.build_keyring()
    if new_secret is not None:
        try:
            new = Key.from_secret(new_secret)
        except SecretKeyError as exc:
            raise RotationError("malformed", str(exc)) from None
        return Keyring(new, [configured.current, *configured.old])
    if settings.secret_key is None or settings.secret_key_old is None:
        raise RotationError("missing")
    return configured


def keep_new_key(settings: Settings, new_secret: str) -> Path | None:
    """After a rotation to `new_secret`: replace DATA_DIR/secret.key when that file is the
    configured key and return its path; None when SECRET_KEY is set (the operator changes it)."""
    if settings.secret_key is not None:
        return None
    write_key_file(settings.data_dir, new_secret)
    return settings.data_dir / KEY_FILE

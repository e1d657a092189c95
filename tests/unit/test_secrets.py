"""Sealing secrets at rest (db.secrets): AES-GCM with a key from SECRET_KEY or its key file."""

from __future__ import annotations

import hashlib
import logging
import stat
from pathlib import Path

import pytest

from db.secrets import (
    PREFIX,
    UNREADABLE_MESSAGE,
    Key,
    Keyring,
    SecretKeyError,
    SecretUnreadable,
    build_keyring,
    key_id_of,
    load_key_file,
    token_hash,
    write_key_file,
)
from services.settings import SettingsError, load_settings

A = "a" * 40
B = "b" * 40
TOKEN = "eyJhbGciOiJFUzI1NiJ9.eyJzaWQiOiJzZWxsZXIifQ.signature-part"


def test_a_sealed_value_is_not_the_plaintext_and_opens_back() -> None:
    ring = Keyring(Key.from_secret(A))
    sealed = ring.seal(TOKEN)
    assert sealed.startswith(f"{PREFIX}{ring.current.id}:")
    assert TOKEN not in sealed and TOKEN[:20] not in sealed
    assert ring.open(sealed) == TOKEN
    assert ring.seal(TOKEN) != sealed  # a fresh nonce each time
    assert ring.open("legacy-plaintext") == "legacy-plaintext"  # rows from before sealing


def test_another_key_cannot_open_and_says_how_to_fix_it() -> None:
    sealed = Keyring(Key.from_secret(A)).seal(TOKEN)
    with pytest.raises(SecretUnreadable) as caught:
        Keyring(Key.from_secret(B)).open(sealed)
    assert UNREADABLE_MESSAGE in str(caught.value)
    assert "SECRET_KEY" in str(caught.value) and TOKEN not in str(caught.value)


def test_a_tampered_value_is_refused_not_returned() -> None:
    ring = Keyring(Key.from_secret(A))
    sealed = ring.seal(TOKEN)
    head, body = sealed.rsplit(":", 1)
    flipped = body[:10] + ("A" if body[10] != "A" else "B") + body[11:]
    for bad in (f"{head}:{flipped}", f"{head}:not-base64!", f"{head}:"):
        with pytest.raises(SecretUnreadable):
            ring.open(bad)
    # A forged key id that names the current key does not help either.
    with pytest.raises(SecretUnreadable):
        ring.open(f"{PREFIX}{ring.current.id}:" + body[::-1])


def test_an_old_key_only_opens_during_a_rotation() -> None:
    old, new = Key.from_secret(A), Key.from_secret(B)
    sealed_old = Keyring(old).seal(TOKEN)
    ring = Keyring(new, [old])
    assert ring.open(sealed_old) == TOKEN and ring.needs_reseal(sealed_old)
    resealed = ring.seal(ring.open(sealed_old))
    assert key_id_of(resealed) == new.id and not ring.needs_reseal(resealed)
    assert Keyring(new).open(resealed) == TOKEN  # the old key is no longer needed
    assert ring.needs_reseal("plaintext")


def test_a_short_secret_key_is_refused() -> None:
    with pytest.raises(SecretKeyError, match="at least 32"):
        Key.from_secret("short")
    with pytest.raises(SettingsError, match="SECRET_KEY is invalid: must be at least 32"):
        load_settings(secret_key="too-short")
    assert Key.from_secret(A).id == Key.from_secret(f"  {A}\n").id  # spaces do not matter
    assert Key.from_secret(A).id != Key.from_secret(B).id
    assert A not in repr(Keyring(Key.from_secret(A)))


def test_without_secret_key_a_key_file_is_created_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="db.secrets"):
        first = build_keyring(None, None, tmp_path)
    path = tmp_path / "secret.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    created = [r for r in caplog.records if "created" in r.getMessage()]
    assert len(created) == 1 and str(path) in created[0].getMessage()
    assert path.read_text().strip() not in caplog.text  # the key itself is never logged
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="db.secrets"):
        again = build_keyring(None, None, tmp_path)
    assert again.current.id == first.current.id and not caplog.records
    assert [p.name for p in tmp_path.iterdir()] == ["secret.key"]  # no temporary files left
    # An explicit SECRET_KEY wins over the file; SECRET_KEY_OLD only opens.
    explicit = build_keyring(A, B, tmp_path)
    assert explicit.current.id == Key.from_secret(A).id
    assert [k.id for k in explicit.old] == [Key.from_secret(B).id]


def test_settings_build_the_keyring(tmp_path: Path) -> None:
    ring = load_settings(secret_key=A, data_dir=tmp_path).build_keyring()
    assert ring.current.id == Key.from_secret(A).id and not (tmp_path / "secret.key").exists()
    (tmp_path / "secret.key").write_text("short")
    with pytest.raises(SettingsError, match="at least 32"):
        load_settings(data_dir=tmp_path).build_keyring()


def test_write_key_file_replaces_the_key(tmp_path: Path) -> None:
    first = load_key_file(tmp_path)
    write_key_file(tmp_path, B)
    assert load_key_file(tmp_path).id == Key.from_secret(B).id != first.id
    assert stat.S_IMODE((tmp_path / "secret.key").stat().st_mode) == 0o600


def test_token_hash_is_plain_sha256_hex() -> None:
    assert token_hash("abc") == hashlib.sha256(b"abc").hexdigest()
    assert len(token_hash("x")) == 64


def test_wbrep_check_says_where_the_key_comes_from(tmp_path: Path) -> None:
    from services.health import check_secret_key

    unset = check_secret_key(load_settings(data_dir=tmp_path, secret_key=None))
    assert unset.ok and "created on first start" in unset.detail
    assert not (tmp_path / "secret.key").exists()
    explicit = check_secret_key(load_settings(data_dir=tmp_path, secret_key=A, secret_key_old=B))
    assert explicit.ok and Key.from_secret(A).id in explicit.detail and A not in explicit.detail
    assert "SECRET_KEY_OLD" in explicit.detail
    (tmp_path / "secret.key").write_text("short")
    broken = check_secret_key(load_settings(data_dir=tmp_path, secret_key=None))
    assert not broken.ok and "at least 32" in broken.detail

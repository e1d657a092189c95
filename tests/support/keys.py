"""The one secret key the tests seal store tokens with, for the test process and for the
subprocess children it starts (they open the tokens their parent test sealed)."""

from __future__ import annotations

from db.secrets import Key, Keyring, configure

TEST_SECRET_KEY = "test-secret-key-for-sealing-tokens-at-rest-0001"


def use_test_key() -> Keyring:
    """Make the tests' key this process's keyring (the app would read SECRET_KEY or its key
    file); every subprocess child calls it before it touches a store's token."""
    keyring = Keyring(Key.from_secret(TEST_SECRET_KEY))
    configure(keyring)
    return keyring

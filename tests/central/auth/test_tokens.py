from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gridwatch_central.auth.passwords import Passwords
from gridwatch_central.auth.tokens import (
    InvalidCredentialsError,
    TokenIssuer,
    api_key_id,
    api_key_matches,
    hash_api_key,
    new_api_key,
)


def test_api_key_round_trip_even_with_underscores_in_the_secret() -> None:
    for _ in range(200):  # token_urlsafe often contains "_": every key must still parse
        key = new_api_key()
        assert api_key_id(key.secret) == key.key_id
        assert api_key_matches(key.secret, key.key_hash)
    assert api_key_id("gwk_0123abcd_with_under_scores") == "0123abcd"
    assert not api_key_matches("gwk_0123abcd_other", hash_api_key("gwk_0123abcd_secret"))
    with pytest.raises(InvalidCredentialsError):
        api_key_id("not-a-key")


def test_tokens_expire_and_are_bound_to_the_secret() -> None:
    issuer = TokenIssuer("a" * 32, timedelta(minutes=5))
    token = issuer.issue(7).token
    assert issuer.user_id(token) == 7
    with pytest.raises(InvalidCredentialsError, match="invalid token"):
        TokenIssuer("b" * 32, timedelta(minutes=5)).user_id(token)
    old = issuer.issue(7, now=datetime.now(UTC) - timedelta(hours=1)).token
    with pytest.raises(InvalidCredentialsError, match="expired"):
        issuer.user_id(old)


def test_passwords_are_hashed_and_verified() -> None:
    passwords = Passwords()
    stored = passwords.hash("correct horse")
    assert stored.startswith("$argon2id$")
    assert passwords.verify(stored, "correct horse")
    assert not passwords.verify(stored, "wrong horse")
    assert not passwords.verify(None, "correct horse")  # unknown user
    with pytest.raises(ValueError, match="at least 8"):
        passwords.hash("short")

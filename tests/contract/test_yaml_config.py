from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, Field

from gridwatch_contract.yaml_config import ConfigFileError, load_yaml_model


class _Inner(BaseModel):
    model_config = ConfigDict(extra="forbid")
    port: int = Field(ge=1)


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    inner: _Inner


class _SettingsError(ConfigFileError):
    pass


def _load(tmp_path: Path, text: str) -> _Settings:
    path = tmp_path / "settings.yaml"
    path.write_text(text, encoding="utf-8")
    return load_yaml_model(_Settings, path, what="test settings", error=_SettingsError)


def test_valid_file_loads(tmp_path: Path) -> None:
    assert _load(tmp_path, "name: a\ninner: {port: 80}\n").inner.port == 80


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: a\ninner: {port: 0}\n", "inner.port: Input should be greater than or equal to 1"),
        ("name: a\ninner: {port: 1, host: x}\n", "inner.host: unknown key"),
        ("inner: {port: 1}\n", "name: Field required"),
        ("[1, 2]\n", "expected a mapping of settings at the top level, got list"),
        ("name: [unclosed\n", "not valid YAML"),
    ],
)
def test_errors_name_the_file_the_key_and_the_problem(
    tmp_path: Path, text: str, expected: str
) -> None:
    with pytest.raises(_SettingsError) as caught:
        _load(tmp_path, text)
    assert str(caught.value).startswith(str(tmp_path / "settings.yaml"))
    assert expected in str(caught.value)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(_SettingsError, match="cannot read test settings"):
        load_yaml_model(
            _Settings, tmp_path / "none.yaml", what="test settings", error=_SettingsError
        )

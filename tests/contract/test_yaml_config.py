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


def _load_extending(tmp_path: Path, files: dict[str, str]) -> _Settings:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return load_yaml_model(
        _Settings,
        tmp_path / "site.yaml",
        what="test settings",
        error=_SettingsError,
        allow_extends=True,
    )


def test_a_file_extends_another_and_replaces_its_top_level_keys(tmp_path: Path) -> None:
    files = {
        "policy.yaml": "name: shared\ninner: {port: 80}\n",
        "site.yaml": "extends: policy.yaml\ninner: {port: 8080}\n",
    }
    settings = _load_extending(tmp_path, files)
    assert (settings.name, settings.inner.port) == ("shared", 8080)


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"site.yaml": "extends: missing.yaml\n"}, r"missing\.yaml: cannot read test settings"),
        ({"site.yaml": "extends: 3\n"}, "extends: expected the path of another"),
        (
            {"site.yaml": "extends: other.yaml\n", "other.yaml": "extends: site.yaml\n"},
            "files deep",
        ),
        ({"site.yaml": "extends: list.yaml\n", "list.yaml": "- a\n"}, "expected a mapping"),
    ],
)
def test_a_broken_extends_names_the_file_and_problem(
    tmp_path: Path, files: dict[str, str], expected: str
) -> None:
    with pytest.raises(_SettingsError, match=expected):
        _load_extending(tmp_path, files)


def test_extends_is_only_honoured_where_a_loader_allows_it(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text("name: shared\ninner: {port: 80}\n", encoding="utf-8")
    with pytest.raises(_SettingsError, match="extends: unknown key"):
        _load(tmp_path, "extends: policy.yaml\nname: a\ninner: {port: 1}\n")

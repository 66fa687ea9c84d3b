"""Camera stream URLs encrypted at rest with central's camera key (Fernet: AES-128-CBC with
an HMAC-SHA256, so a stored value cannot be read nor altered without the key).

The key comes from the ``GRIDWATCH_CAMERA_KEY`` environment variable or the file named by
``onboarding.key_file`` (created, readable by its owner only, when it does not exist: back
it up, a lost key means re-entering every camera's credentials); ``gridwatch central
camera-key`` prints a new one. Without a key
central still starts and serves everything else; writing or pushing a camera then fails
with ``CameraKeyError`` saying how to provide one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

KEY_ENV = "GRIDWATCH_CAMERA_KEY"


class CameraKeyError(RuntimeError):
    """The camera key is missing, malformed or not the one the URLs were encrypted with."""


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


class UrlVault:
    def __init__(self, key: str | None, *, source: str) -> None:
        self._source = source
        self._fernet: Fernet | None = None
        if key is not None:
            try:
                self._fernet = Fernet(key.strip().encode("ascii"))
            except (ValueError, UnicodeEncodeError):
                raise CameraKeyError(
                    f"the camera key from {source} is not a Fernet key (32 url-safe base64"
                    " bytes); make one with 'gridwatch central camera-key'"
                ) from None

    @classmethod
    def from_config(
        cls, key_file: Path | None, environ: Mapping[str, str] | None = None
    ) -> UrlVault:
        environ = os.environ if environ is None else environ
        if environ.get(KEY_ENV):
            return cls(environ[KEY_ENV], source=f"${KEY_ENV}")
        if key_file is not None:
            if not key_file.exists():
                _create_key_file(key_file)
            try:
                return cls(key_file.read_text(encoding="ascii"), source=str(key_file))
            except (OSError, UnicodeDecodeError) as error:
                raise CameraKeyError(
                    f"cannot read the camera key file {key_file}: {error}"
                ) from None
        return cls(None, source="nowhere")

    @property
    def ready(self) -> bool:
        return self._fernet is not None

    def encrypt(self, url: str) -> str:
        return self._require().encrypt(url.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._require().decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise CameraKeyError(
                f"a stored camera URL does not decrypt with the camera key from {self._source}:"
                " the key was changed; restore the old one"
            ) from None

    def _require(self) -> Fernet:
        if self._fernet is None:
            raise CameraKeyError(
                "no camera key: camera stream URLs are stored encrypted. Set"
                f" {KEY_ENV} or onboarding.key_file in the central config to a key made with"
                " 'gridwatch central camera-key'"
            )
        return self._fernet


def _create_key_file(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two central processes starting together never write two different keys.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError as error:
        raise CameraKeyError(f"cannot create the camera key file {path}: {error}") from None
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(new_key() + "\n")

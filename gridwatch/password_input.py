"""Reading a new password for a shell command, never from its arguments.

A password given as an argument is visible to every user of the machine (``ps``, ``/proc``)
and lands in shell history, so the commands take it from, in this order: standard input when
``--password-stdin`` is given (one line, for scripts and secret stores), the environment
variable ``GRIDWATCH_PASSWORD`` (for containers and CI), or a prompt on the terminal, typed
twice and not echoed.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable, Mapping
from typing import TextIO

from pydantic import SecretStr

PASSWORD_ENV = "GRIDWATCH_PASSWORD"


class PasswordInputError(ValueError):
    """No password could be read; the message says how to give one."""


def read_new_password(
    *,
    from_stdin: bool,
    stdin: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
    prompt: Callable[[str], str] = getpass.getpass,
) -> SecretStr:
    stdin = sys.stdin if stdin is None else stdin
    environ = os.environ if environ is None else environ
    if from_stdin:
        line = stdin.readline().rstrip("\r\n")
        if not line:
            raise PasswordInputError("--password-stdin: standard input held no password")
        return SecretStr(line)
    if environ.get(PASSWORD_ENV):
        return SecretStr(environ[PASSWORD_ENV])
    if not stdin.isatty():
        raise PasswordInputError(
            "no password given: type it at a terminal, pipe it with --password-stdin, or set"
            f" {PASSWORD_ENV} (never pass it as an argument: ps shows arguments to everyone)"
        )
    first = prompt("New password: ")
    if first != prompt("Repeat it: "):
        raise PasswordInputError("the two passwords differ; nothing was changed")
    return SecretStr(first)

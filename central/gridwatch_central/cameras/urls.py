"""RTSP URLs: which are accepted, and how they are shown without their credentials."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

SCHEMES = ("rtsp", "rtsps")
REDACTED = "***"
# Query parameters some camera firmwares take credentials in (rtsp://host/stream?user=&pwd=).
_SECRET_PARAMETERS = {
    "user",
    "username",
    "password",
    "passwd",
    "pwd",
    "pass",
    "token",
    "auth",
    "key",
    "secret",
}
MAX_URL_LENGTH = 2048


def validate_rtsp_url(url: str) -> str:
    """Return ``url`` if it is an rtsp:// or rtsps:// URL with a host; the error never echoes
    the URL, which may carry credentials."""
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"the camera URL is longer than {MAX_URL_LENGTH} characters")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise ValueError("the camera URL contains whitespace or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValueError("the camera URL is malformed (bad port or brackets)") from None
    if parts.scheme.lower() not in SCHEMES:
        raise ValueError("the camera URL must start with rtsp:// or rtsps://")
    if not parts.hostname:
        raise ValueError("the camera URL has no host")
    if port == 0:
        raise ValueError("the camera URL has port 0")
    return url


def has_credentials(url: str) -> bool:
    parts = urlsplit(url)
    secret_query = any(k.lower() in _SECRET_PARAMETERS for k, _ in parse_qsl(parts.query))
    return parts.username is not None or secret_query


def redact_url(url: str) -> str:
    """The URL with user name, password and credential-like query values replaced by ***."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    if parts.username is not None:
        netloc = f"{REDACTED}:{REDACTED}@{netloc}"
    query = urlencode(
        [
            (key, REDACTED if key.lower() in _SECRET_PARAMETERS else value)
            for key, value in parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="*",
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def keep_stored_credentials(new_url: str, stored_url: str) -> str:
    """A client that sends back the redacted URL it was shown keeps the stored credentials."""
    new, stored = urlsplit(new_url), urlsplit(stored_url)
    if new.username != REDACTED and REDACTED not in new.query:
        return new_url
    netloc = new.netloc
    if new.username == REDACTED:
        userinfo = stored.netloc.rpartition("@")[0]
        host = new.netloc.rpartition("@")[2]
        netloc = f"{userinfo}@{host}" if userinfo else host
    stored_query = dict(parse_qsl(stored.query, keep_blank_values=True))
    query = urlencode(
        [
            (key, stored_query.get(key, "") if value == REDACTED else value)
            for key, value in parse_qsl(new.query, keep_blank_values=True)
        ]
    )
    return urlunsplit((new.scheme, netloc, new.path, query, new.fragment))

"""Addresses CLA listens on or sends to: their form, and whether they leave this machine.

:func:`is_loopback`: the dashboard (`dashboard.access`) and the service's
metrics server (`trainer.service.metrics`) both bind to localhost by default
and treat any other address as exposed. :func:`split_host_port`, :func:`check_webhook_url` and
:func:`check_addresses` check ``service.metrics_address`` and
``notify.webhook_url`` for `trainer.config`; :func:`redact_url` names a
webhook without the path that is often its secret.
"""

from __future__ import annotations

import ipaddress

from trainer.options import ConfigError


def is_loopback(address: str | None) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1; False for anything else (0.0.0.0, a LAN address, a name)."""
    if not address:
        return False
    host = address.strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def split_host_port(value: str, key: str) -> tuple[str, int]:
    """``"127.0.0.1:9308"`` -> ``("127.0.0.1", 9308)``; ``[::1]:9308`` for IPv6. Raises ConfigError naming ``key``."""
    host, sep, port = value.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"{key}: expected host:port such as 127.0.0.1:9308, got {value!r}")
    return host, int(port)


def check_webhook_url(url: str, key: str = "notify.webhook_url") -> None:
    """Raise ConfigError naming ``key`` unless ``url`` is an http(s) URL with a host."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
    if host is None or parts.scheme not in ("http", "https"):
        raise ConfigError(f"{key}: {url!r} is not an http:// or https:// URL with a host")


def redact_url(url: str) -> str:
    """``scheme://host:port/…``: where a URL points, without the path or query that may carry a token."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    rest = "/…" if (parts.path not in ("", "/") or parts.query) else ""
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}{rest}"


def check_addresses(config) -> None:
    """Raise ConfigError for a ``notify.webhook_url`` or ``service.metrics_address`` of the wrong form."""
    for url in config.notify.webhook_url:
        check_webhook_url(url)
    if config.service.metrics_address:
        split_host_port(config.service.metrics_address, "service.metrics_address")

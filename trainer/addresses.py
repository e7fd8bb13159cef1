"""Whether an address the product listens on is reachable only from this machine.

The dashboard (`dashboard.access`) and the service's metrics server
(`trainer.service.metrics`) both bind to localhost by default and treat any
other address as exposed.
"""

from __future__ import annotations

import ipaddress


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

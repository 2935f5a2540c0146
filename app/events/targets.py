"""Addresses the server connects to on someone's word: webhook URLs and camera stream URLs.

Parsed without a 500 on a stray bracket or a bad port, and refused when their host is this
machine (loopback: 127.0.0.0/8, ::1, and 0.0.0.0, which reaches it too) or link-local
(169.254.0.0/16 with the cloud metadata address 169.254.169.254, fe80::/10), unless
ALLOW_LOCAL_TARGETS is on: a delivery log that shows each reply, or a camera's error
message, would otherwise probe the server's own ports and its cloud's metadata. Private
ranges (10/8, 172.16/12, 192.168/16, fc00::/7) stay allowed: a Home Assistant or a camera
on the LAN is the main use.
"""
from __future__ import annotations

import ipaddress
import socket
from urllib.parse import SplitResult, urlsplit


class TargetError(ValueError):
    """The address cannot be used; the message says what to send instead."""


def split_url(url: str) -> SplitResult:
    """`url` split into its parts; TargetError (not ValueError) for an unbalanced [ ] or a
    port that is not a number from 0 to 65535."""
    try:
        parts = urlsplit(url)
        parts.port  # parsed lazily: a bad port raises here
    except ValueError as e:
        raise TargetError(f"{url} is not a valid URL ({e}). Give scheme://host[:port]/path, "
                          "with an IPv6 address between [ and ] (http://[fd00::5]:8123/).") from None
    return parts


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Every address `host` names (itself when it is one; [] when the name does not resolve
    now: nothing is reached then, and the sender checks again before each delivery)."""
    try:
        return [ipaddress.ip_address(host.split("%", 1)[0])]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    return [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]


def local_reason(host: str) -> str | None:
    """Why `host` is this machine or link-local ("loopback", "link-local"), or None."""
    for address in _addresses(host):
        mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1 is 127.0.0.1
        address = mapped or address
        if address.is_loopback or address.is_unspecified:
            return "loopback"
        if address.is_link_local:
            return "link-local"
    return None


def check_host(url: str, allow_local: bool) -> None:
    """TargetError when `url`'s host is loopback or link-local and `allow_local` is off."""
    host = split_url(url).hostname
    if allow_local or not host:
        return
    reason = local_reason(host)
    if reason is not None:
        raise TargetError(f"{host} is a {reason} address: the server does not connect to "
                          "itself or to link-local addresses (169.254.x.x, fe80::). Give the "
                          "address of the device on your network, or ask the administrator "
                          "to set FACES_ALLOW_LOCAL_TARGETS=1.")

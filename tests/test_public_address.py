"""The one rule for outbound HTTP to user-chosen URLs (chat/outbound.py): which addresses are public, including
the IPv6 forms that Python's `is_global` accepts but that reach private networks or embed an IPv4 address."""
import pytest

from chat.notify import endpoints
from chat.outbound import is_public_address

PUBLIC = [
    "8.8.8.8", "1.1.1.1", "93.184.216.34",
    "2606:4700::1111", "2001:4860:4860::8888", "2a00:1450:4001:80b::200e",
    "::ffff:8.8.8.8",                      # IPv4-mapped: judged as 8.8.8.8
]

NOT_PUBLIC = [
    "127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "100.64.0.1", "169.254.169.254", "0.0.0.0",
    "224.0.0.1", "240.0.0.1", "255.255.255.255", "198.18.0.1", "192.0.0.8", "192.0.2.1", "192.88.99.1",
    "::", "::1", "fc00::1", "fd12:3456::1", "fe80::1", "fe80::1%eth0", "ff02::1", "2001:db8::1", "100::1",
    "fec0::1", "feff::1",                                  # site-local
    "2002:a00:1::1", "2002:808:808::1",                    # 6to4, embedding a private and a public IPv4
    "2001::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2",     # Teredo
    "64:ff9b::a00:1", "64:ff9b::7f00:1", "64:ff9b::808:808", "64:ff9b:1::1",   # NAT64
    "::ffff:10.0.0.1", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:0.0.0.0",  # IPv4-mapped
    "::10.0.0.1", "::8.8.8.8",                             # IPv4-compatible (deprecated)
]


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address):
    assert is_public_address(address)


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_non_public_addresses_are_refused(address):
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "::ffff:127.0.0.1"])
def test_allow_loopback_lets_loopback_through(address):
    assert is_public_address(address, allow_loopback=True)


@pytest.mark.parametrize("address", ["10.0.0.1", "169.254.169.254", "fec0::1", "2002:7f00:1::1", "64:ff9b::7f00:1"])
def test_allow_loopback_lets_nothing_else_through(address):
    assert not is_public_address(address, allow_loopback=True)


@pytest.mark.parametrize("address", ["", "localhost", "300.1.1.1", "::g"])
def test_a_non_address_is_a_value_error(address):
    with pytest.raises(ValueError):
        is_public_address(address)


@pytest.mark.parametrize("host", ["[2002:a00:1::1]", "[fec0::1]", "[2001::1]", "[64:ff9b::a00:1]", "[::ffff:10.0.0.1]"])
def test_push_endpoints_use_the_rule(host):
    with pytest.raises(endpoints.EndpointRefused, match="non-public"):
        endpoints.check(f"https://{host}/push/x")

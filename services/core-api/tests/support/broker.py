"""A broker of a test's own behind a TCP proxy (now in ``sendfx_dev.testing``)."""

from sendfx_dev.testing.broker import ProxiedBroker, proxied_broker

__all__ = ["ProxiedBroker", "proxied_broker"]

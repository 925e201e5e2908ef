"""A Python driver API for a virtio-crypto device, over any ``Channel`` (in-process or vhost-user)."""

from .driver import Channel, CryptoDriver, LocalChannel, StatusError

__all__ = ["Channel", "CryptoDriver", "LocalChannel", "StatusError"]

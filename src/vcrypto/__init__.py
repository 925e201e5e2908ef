"""vcrypto: a virtio-crypto device in Python."""

__version__ = "0.1.0"

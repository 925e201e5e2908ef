"""The virtio-crypto device core: transport-free, usable with no socket, no mmap and no thread."""

from .config import DeviceConfig
from .device import CryptoDevice
from .errors import DeviceError, FeatureError

__all__ = ["CryptoDevice", "DeviceConfig", "DeviceError", "FeatureError"]

"""Wire formats of the virtio-crypto device: constants, structures, encoders and decoders.

Pure data: no crypto, no I/O.
"""

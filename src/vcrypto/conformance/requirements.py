"""The catalogue of what ``vcrypto check`` checks: one ``Requirement`` per spec rule, grouped by area.

Ids are ``area.rule``; an area is a part of the virtio-crypto section (config space, feature bits,
sessions, one per service, status codes) or the virtqueue rules a device must keep against a hostile
driver (``chain.*``). Checks that apply per algorithm report the algorithm as the result's subject.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Requirement:
    id: str
    title: str
    detail: str  # what is checked, for docs/check.md and ``vcrypto check --list``


_ALL = (
    # --- config space --------------------------------------------------------------------------------
    Requirement(
        "config.hw-ready", "status has HW_READY", "virtio_crypto_config.status has VIRTIO_CRYPTO_S_HW_READY"
    ),
    Requirement("config.max-dataqueues", "max_dataqueues >= 1", "the device has at least one data queue"),
    Requirement(
        "config.services", "services mask is valid", "crypto_services is non-empty and has only defined bits"
    ),
    Requirement(
        "config.algorithm-masks",
        "algorithm masks only for offered services",
        "every algorithm mask of a service not in crypto_services is 0; an offered service has an algorithm",
    ),
    Requirement(
        "config.max-size", "max_size is non-zero", "the largest request the device takes is positive"
    ),
    Requirement(
        "config.key-lengths",
        "key length limits hold",
        "max_cipher_key_len / max_auth_key_len cover the advertised algorithms' known-answer keys, and a "
        "session with a key one byte over the limit is refused",
    ),
    # --- feature bits --------------------------------------------------------------------------------
    Requirement(
        "features.stateless-needs-revision-1",
        "stateless bit without REVISION_1 refused",
        "a driver feature set with a *_STATELESS_MODE bit but not VIRTIO_CRYPTO_F_REVISION_1 is refused",
    ),
    Requirement(
        "features.stateless-request-needs-bit",
        "stateless request without its feature bit refused",
        "with REVISION_1 but not CIPHER_STATELESS_MODE, a stateless CIPHER request is not answered OK",
    ),
    # --- sessions ------------------------------------------------------------------------------------
    Requirement(
        "session.create-destroy",
        "sessions are created and destroyed",
        "create answers OK with an id, destroy answers OK; two live sessions have different ids",
    ),
    Requirement(
        "session.destroy-unknown",
        "destroying an unknown session fails",
        "destroy of an id never created, or already destroyed, answers ERR",
    ),
    # --- services ------------------------------------------------------------------------------------
    Requirement(
        "cipher.known-answer", "cipher known answers", "encrypt and decrypt give the published vector's bytes"
    ),
    Requirement(
        "cipher.round-trip",
        "cipher random round trip",
        "random key, IV and data: encryption equals pyca cryptography's, decryption restores the data",
    ),
    Requirement(
        "cipher.chaining",
        "algorithm chaining",
        "cipher-then-hash and hash-then-cipher chains equal the composition of pyca cryptography and hashlib",
    ),
    Requirement("hash.known-answer", "hash known answers", "the digest equals the published vector's"),
    Requirement("hash.round-trip", "hash random data", "the digest of random data equals hashlib's"),
    Requirement("mac.known-answer", "MAC known answers", "the tag equals the published vector's"),
    Requirement(
        "mac.round-trip", "MAC random data", "the tag of random key and data equals pyca cryptography's"
    ),
    Requirement(
        "aead.known-answer",
        "AEAD known answers",
        "encryption gives the vector's ciphertext and tag, decryption its plaintext",
    ),
    Requirement(
        "aead.round-trip",
        "AEAD random round trip",
        "random key, nonce, AAD and data: equals pyca cryptography's, and decrypts back",
    ),
    Requirement(
        "akcipher.known-answer",
        "AKCIPHER known answers",
        "RSA PKCS#1 v1.5 signature and decryption equal the vectors'; an ECDSA vector signature verifies",
    ),
    Requirement(
        "akcipher.round-trip",
        "AKCIPHER against pyca cryptography",
        "device RSA encryption decrypts with cryptography; device RSA/ECDSA signatures verify with it",
    ),
    # --- status codes --------------------------------------------------------------------------------
    Requirement(
        "status.ok",
        "OK with the used length",
        "a well-formed request is answered OK and the used length covers the output and the status byte",
    ),
    Requirement(
        "status.err-key",
        "ERR for a wrong key size",
        "a session with a key length the algorithm does not have is refused with ERR",
    ),
    Requirement(
        "status.err-lengths",
        "ERR for inconsistent lengths",
        "a cipher request whose dst_data_len is shorter than src_data_len is answered ERR",
    ),
    Requirement(
        "status.notsupp-algorithm",
        "NOTSUPP for an unadvertised algorithm",
        "a session for an algorithm the config does not advertise is refused with NOTSUPP",
    ),
    Requirement(
        "status.notsupp-opcode",
        "NOTSUPP for an unknown opcode",
        "a data request with an opcode the spec does not define is answered NOTSUPP",
    ),
    Requirement(
        "status.invsess",
        "INVSESS for unknown sessions",
        "a data request naming a session never created, or destroyed, is answered INVSESS",
    ),
    Requirement(
        "status.badmsg", "BADMSG for a tampered tag", "AEAD decryption with a wrong tag is answered BADMSG"
    ),
    Requirement(
        "status.key-rejected",
        "KEY_REJECTED for a bad signature",
        "RSA / ECDSA verification of a signature that does not verify is answered KEY_REJECTED",
    ),
    Requirement(
        "status.nospc",
        "NOSPC when the session table is full",
        "with REVISION_1, creating sessions until the device is full ends in NOSPC (bounded probe)",
    ),
    # --- hostile descriptor chains -------------------------------------------------------------------
    Requirement(
        "chain.loop",
        "descriptor loop",
        "a chain whose next fields loop gets an error status or stops the queue; nothing written outside",
    ),
    Requirement(
        "chain.out-of-range",
        "address outside guest memory",
        "a descriptor past the end of guest RAM gets an error status or stops the queue",
    ),
    Requirement(
        "chain.truncated-header",
        "truncated request header",
        "a request shorter than its header gets an error status; nothing written outside the buffers",
    ),
    Requirement(
        "chain.no-writable-status",
        "no writable status byte",
        "a chain with only device-readable descriptors is not written to at all",
    ),
    Requirement(
        "chain.beyond-buffers",
        "lengths beyond the buffers",
        "a request whose lengths exceed the descriptors given gets an error status; nothing written outside",
    ),
    Requirement(
        "chain.over-max-size",
        "request over max_size",
        "a request larger than the config's max_size is refused with an error status",
    ),
)

CATALOGUE: dict[str, Requirement] = {requirement.id: requirement for requirement in _ALL}

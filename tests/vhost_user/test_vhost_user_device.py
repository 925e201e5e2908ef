"""The real device behind the backend: AES-CBC the way QEMU 7.2 and the Linux driver use it."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from vcrypto.cli.serve import device_factory
from vcrypto.spec import encode
from vcrypto.spec.constants import CipherAlgo, Direction, Opcode, Status
from vcrypto.spec.params import CipherParams
from vcrypto.vhost_user import crypto_session as cs


@pytest.mark.parametrize("layout", [cs.SIZE_632, cs.SIZE_1072])
@pytest.mark.parametrize("indirect", [False, True])
def test_aes_cbc_through_the_ring(serve, guest, layout, indirect):
    served = serve(factory=lambda: device_factory(1))
    memory, driver = guest
    fe = served.connect()
    fe.handshake()
    fe.start_ring(memory, driver)
    key, iv, src = os.urandom(32), os.urandom(16), os.urandom(64)
    enc = fe.create_session(CipherParams(CipherAlgo.AES_CBC, key, Direction.ENCRYPT), layout)
    dec = fe.create_session(CipherParams(CipherAlgo.AES_CBC, key, Direction.DECRYPT), layout)
    assert enc > 0 and dec > 0 and enc != dec

    readable = encode.cipher(Opcode.CIPHER_ENCRYPT, enc, iv, src, len(src), revision_1=False)
    head, (dst, status) = driver.add_chain(readable, [len(src), 1], indirect=indirect)
    fe.notify()
    assert fe.wait_call()
    assert driver.take_used() == [(head, len(src) + 1)]
    assert memory.read(status[0], 1) == bytes([Status.OK])
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(src) + encryptor.finalize()
    assert memory.read(dst[0], len(src)) == ciphertext

    readable = encode.cipher(Opcode.CIPHER_DECRYPT, dec, iv, ciphertext, len(src), revision_1=False)
    _head, (dst, status) = driver.add_chain(readable, [len(src), 1], indirect=indirect)
    fe.notify()
    assert fe.wait_call()
    assert memory.read(status[0], 1) == bytes([Status.OK])
    assert memory.read(dst[0], len(src)) == src

    fe.close_session(enc)
    fe.sync()  # CLOSE has no reply: make sure it is handled before the next kick
    readable = encode.cipher(Opcode.CIPHER_ENCRYPT, enc, iv, src, len(src), revision_1=False)
    _head, (_dst, status) = driver.add_chain(readable, [len(src), 1], indirect=indirect)
    fe.notify()
    assert fe.wait_call()
    assert memory.read(status[0], 1) == bytes([Status.INVSESS])


def test_unsupported_session_gets_a_negative_id(serve):
    fe = serve(factory=lambda: device_factory(1)).connect()
    fe.handshake()
    assert fe.create_session(CipherParams(CipherAlgo.AES_CBC, bytes(17), Direction.ENCRYPT)) < 0
    assert fe.create_session(CipherParams(999, bytes(16), Direction.ENCRYPT)) < 0
    assert fe.create_session(CipherParams(CipherAlgo.AES_CBC, bytes(16), Direction.ENCRYPT)) > 0

"""WeChat message security: SHA1 signatures and the AES envelope of compatible and safe mode.

The scheme (docs/platforms.md §1.2): AES-256-CBC with the IV taken from the key, PKCS#7 padding to
32-byte blocks, plaintext = 16 random bytes + 4-byte big-endian length + XML + AppID.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bot.config.wechat import decode_aes_key
from bot.core.errors import CryptoError
from bot.core.payload import header_bytes

BLOCK = 32  # WeChat pads to 32 bytes, not AES's 16


def sign(*parts: str) -> str:
    """WeChat's signature: SHA1 hex of the sorted parts joined together."""
    return hashlib.sha1(header_bytes("".join(sorted(parts)))).hexdigest()


def is_signed(signature: str, *parts: str) -> bool:
    """Whether `signature` matches the parts, compared in constant time."""
    return hmac.compare_digest(sign(*parts).encode("ascii"), header_bytes(signature))


class MessageCipher:
    """Encrypts and decrypts message bodies for one app."""

    def __init__(self, encoding_aes_key: str, app_id: str) -> None:
        self.key = decode_aes_key(encoding_aes_key)
        self.app_id = app_id.encode("utf-8")

    def _cipher(self) -> Cipher[modes.CBC]:
        return Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16]))

    def encrypt(self, xml: str) -> str:
        """The base64 ciphertext of `xml` for the `<Encrypt>` element."""
        body = xml.encode("utf-8")
        plain = secrets.token_bytes(16) + struct.pack(">I", len(body)) + body + self.app_id
        padding = BLOCK - len(plain) % BLOCK
        plain += bytes([padding]) * padding
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode("ascii")

    def decrypt(self, encrypted: str) -> bytes:
        """The XML inside an `<Encrypt>` value; CryptoError unless it is ours and well formed."""
        try:
            data = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError):
            raise CryptoError("Encrypt is not base64") from None
        if not data or len(data) % 16:
            raise CryptoError("ciphertext is not a whole number of AES blocks")
        decryptor = self._cipher().decryptor()
        plain = decryptor.update(data) + decryptor.finalize()
        padding = plain[-1]
        if not 1 <= padding <= BLOCK or plain[-padding:] != bytes([padding]) * padding:
            raise CryptoError("bad padding")
        content = plain[16:-padding]
        if len(content) < 4:
            raise CryptoError("plaintext too short")
        (length,) = struct.unpack(">I", content[:4])
        xml, app_id = content[4 : 4 + length], content[4 + length :]
        if len(xml) != length:
            raise CryptoError("declared length exceeds the plaintext")
        if not hmac.compare_digest(app_id, self.app_id):
            raise CryptoError("message is for another AppID")
        return xml

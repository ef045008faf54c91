"""Sealing a device file with a passphrase: scrypt for the key, AES-256-GCM for the bytes.

What it protects: the contents of a device file wherever the shared folder goes -- at a cloud
provider (Dropbox, Nextcloud), on a relay, in a backup of the folder, on a stolen disk that
holds the folder. Without the passphrase nobody can read which apps were tracked, their names,
the times, the goals, the settings or the device's name, and nobody can change one byte of a
file (or move a file under another device's name) without every reader refusing it.

What it does not protect: that a device exists (its random id is in the file's name and its
readable first line), which months it has history for (also in the name), how big each file
is and when it changed (which says roughly how much was used and when); anything on a
computer where the passphrase is typed (driftcheck reads the files there); a passphrase that
is easy to guess (scrypt makes each guess cost about a quarter of a second of a core here,
no more); and the person's sync tool itself.

Why the device id stays readable: it is 128 random bits, made when sharing is turned on, tied
to neither the computer's name nor its hardware, so it says nothing about the person that the
file's existence does not; and a reader needs it without the passphrase to group a device's
files, to recognise its own file (a copied data folder is found that way), and to say whose
file it cannot open. Hiding it would take another name for each file and gain nothing.

The key is derived with scrypt (n=2**17, r=8, p=1: 128 MiB of memory and ~0.24 s on the
test machine, measured in tests/unit/test_sync_crypto.py's figure) from the passphrase and a
random salt kept in the file's readable header. Each device keeps one salt for all its files,
so a reader derives one key per device and passphrase, once, and keeps it in memory
(`KeyRing`): a read every minute costs no derivation. Every sealing uses a fresh random
96-bit nonce; with one key per device and at most a few thousand writes a day, a nonce
stays far below the 2**32 sealings NIST SP 800-38D allows one key with random nonces.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
from dataclasses import dataclass

# `cryptography` is imported where a key is derived or bytes are sealed or opened, not here:
# it adds ~9 MB to a process, and the tray app of a person who shares through Syncthing
# without a passphrase never needs it (bench/bench_devices.py's figure).

AEAD_NAME = "AES-256-GCM"
KDF_NAME = "scrypt"
SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_BYTES = 32
# What a reader accepts from a file's readable header: enough for any sensible setting, and a
# cap so that a file planted in the folder cannot make this computer spend gigabytes of memory
# or minutes deriving a key: at most 256 MiB (scrypt takes 128 * n * r bytes) and p <= 4.
MAX_SCRYPT_MEMORY = 256 * 1024 * 1024
MAX_SCRYPT_P = 4


class SealBroken(Exception):
    """The bytes do not open with this key: a wrong passphrase, or bytes changed since."""


class SealParamsRefused(ValueError):
    """A readable header whose key derivation parameters driftcheck will not run."""


@dataclass(frozen=True, slots=True)
class KdfParams:
    """How a key is made from a passphrase; kept readable in each sealed file's header."""

    salt: bytes
    n: int = SCRYPT_N
    r: int = SCRYPT_R
    p: int = SCRYPT_P

    @classmethod
    def fresh(cls) -> KdfParams:
        return cls(os.urandom(SALT_BYTES))

    def to_json(self) -> dict[str, object]:
        return {"kdf": KDF_NAME, "n": self.n, "r": self.r, "p": self.p,
                "salt": base64.b64encode(self.salt).decode("ascii")}

    @classmethod
    def from_json(cls, raw: object) -> KdfParams:
        """The parameters of a header, checked; SealParamsRefused for anything else."""
        if not isinstance(raw, dict) or raw.get("kdf") != KDF_NAME:
            raise SealParamsRefused("not a key derivation driftcheck knows")
        n, r, p, salt = raw.get("n"), raw.get("r"), raw.get("p"), raw.get("salt")
        if not all(type(v) is int for v in (n, r, p)) or not isinstance(salt, str):
            raise SealParamsRefused("key derivation parameters of the wrong kind")
        assert isinstance(n, int) and isinstance(r, int) and isinstance(p, int)
        if not (n >= 2 and n & (n - 1) == 0 and r >= 1 and 1 <= p <= MAX_SCRYPT_P
                and 128 * n * r <= MAX_SCRYPT_MEMORY):
            raise SealParamsRefused("key derivation parameters out of range")
        try:
            decoded = base64.b64decode(salt, validate=True)
        except ValueError:
            raise SealParamsRefused("a salt that is not base64") from None
        if not 8 <= len(decoded) <= 64:
            raise SealParamsRefused("a salt of the wrong length")
        return cls(decoded, n, r, p)


def derive_key(passphrase: str, params: KdfParams) -> bytes:
    """The 256-bit key of `passphrase` under `params` (scrypt; slow on purpose)."""
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=params.salt, length=KEY_BYTES, n=params.n, r=params.r,
                  p=params.p).derive(passphrase.encode("utf-8"))


class KeyRing:
    """One passphrase and the keys derived from it, one per salt, kept in memory.

    Safe to call from any thread; a key is derived at most once per salt and parameters
    (the first read of a device's file), after which a read costs only the AES.
    """

    def __init__(self, passphrase: str) -> None:
        if not passphrase:
            raise ValueError("an empty passphrase protects nothing")
        self._passphrase = passphrase
        self._keys: dict[KdfParams, bytes] = {}
        self._lock = threading.Lock()
        self.derivations = 0  # how many keys were derived: what the cache saves is visible

    def key(self, params: KdfParams) -> bytes:
        with self._lock:
            found = self._keys.get(params)
            if found is None:
                found = derive_key(self._passphrase, params)
                self._keys[params] = found
                self.derivations += 1
            return found

    def known(self) -> list[tuple[dict[str, object], str]]:
        """The keys derived so far with their parameters (hex): what the tracker keeps in its
        memory for the next sync child, so that a child every 2 minutes derives none again."""
        with self._lock:
            return [(params.to_json(), key.hex()) for params, key in self._keys.items()]

    def add_known(self, known: list[tuple[dict[str, object], str]]) -> None:
        """Keys `known` gave (from this passphrase, in an earlier process); ValueError for any
        of the wrong shape."""
        with self._lock:
            for params, key in known:
                derived = bytes.fromhex(key)
                if len(derived) != KEY_BYTES:
                    raise ValueError("a key of the wrong length")
                self._keys[KdfParams.from_json(params)] = derived

    def __repr__(self) -> str:  # never the passphrase, never a key
        return f"KeyRing({len(self._keys)} keys)"


def key_check(key: bytes) -> str:
    """A short value that tells whether a key is the one a file was sealed with, kept in the
    readable header: a wrong passphrase is then told from changed bytes (AES-GCM alone cannot
    tell them apart). It helps a guesser no more than the tag does: each guess still costs a
    scrypt derivation."""
    mac = hmac.new(key, b"driftcheck-sync key check", hashlib.sha256).digest()[:8]
    return base64.b64encode(mac).decode("ascii")


def seal(key: bytes, plaintext: bytes, associated: bytes) -> tuple[bytes, bytes]:
    """(nonce, ciphertext with its 16-byte tag) of `plaintext`; `associated` is authenticated
    but not encrypted (the file's readable header)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(NONCE_BYTES)
    return nonce, AESGCM(key).encrypt(nonce, plaintext, associated)


def unseal(key: bytes, nonce: bytes, ciphertext: bytes, associated: bytes) -> bytes:
    """The plaintext; SealBroken when the key is not the one that sealed it or a byte of
    the nonce, ciphertext or `associated` changed."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if len(nonce) != NONCE_BYTES:
        raise SealBroken("a nonce of the wrong length")
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, associated)
    except InvalidTag:
        raise SealBroken("the key does not open these bytes") from None

"""Sealed device files (widget.sync.crypto with widget.sync.format): the right passphrase
opens them, a wrong one is refused in words, a changed byte is refused as damage, nothing of
the contents is readable in the bytes, the key is derived once per salt, and a file's readable
parameters cannot make a reader spend what it should not."""

from __future__ import annotations

import base64
import json
import time
import zlib
from datetime import UTC, datetime, timedelta

import pytest

from widget.core.goals import Goal, GoalKind
from widget.core.model import Interval
from widget.sync.crypto import (
    SCRYPT_N,
    KdfParams,
    KeyRing,
    SealBroken,
    SealParamsRefused,
    derive_key,
    seal,
    unseal,
)
from widget.sync.format import (
    DeviceFile,
    DeviceFileDamaged,
    DeviceFileLocked,
    DeviceFileProblem,
    DeviceHeader,
    WrongPassphrase,
    decode,
    encode,
)

DEVICE = "fedcba9876543210fedcba9876543210"
# Cheap parameters for most tests (scrypt's cost does not change what is tested); the real
# ones are measured once below.
FAST = KdfParams(b"0123456789abcdef", n=2**10, r=8, p=1)


def file_of(name: str = "Kitchen laptop") -> DeviceFile:
    day = datetime(2026, 12, 3, 20, tzinfo=UTC)
    return DeviceFile(
        DeviceHeader(DEVICE, name, "2026-12", day, 0, "w1"),
        {"replika": "Replika", "custom-my-friend": "My Friend Bot"},
        (Interval("replika", day, day + timedelta(minutes=40)),
         Interval("custom-my-friend", day + timedelta(hours=1), day + timedelta(hours=2))),
        goals=(Goal(GoalKind.DAILY, "replika", 1800),),
        settings={"day_start_hour": 4})


def test_the_right_passphrase_opens_the_file_whole() -> None:
    keys = KeyRing("correct horse battery staple")
    assert decode(encode(file_of(), keys, FAST), KeyRing("correct horse battery staple")) \
        == file_of()


def test_a_wrong_passphrase_is_refused_in_words_never_garbage() -> None:
    data = encode(file_of(), KeyRing("correct horse"), FAST)
    with pytest.raises(WrongPassphrase) as refused:
        decode(data, KeyRing("incorrect horse"))
    assert refused.value.device_id == DEVICE
    assert "passphrase" in str(refused.value)


def test_a_sealed_file_with_no_passphrase_here_says_so() -> None:
    with pytest.raises(DeviceFileLocked):
        decode(encode(file_of(), KeyRing("p"), FAST))


def test_a_changed_byte_of_a_sealed_file_is_damage_not_a_wrong_passphrase() -> None:
    keys = KeyRing("p")
    data = encode(file_of(), keys, FAST)
    line_end = data.index(b"\n") + 1
    for index in range(line_end, len(data)):
        flipped = bytearray(data)
        flipped[index] ^= 0x01
        with pytest.raises(DeviceFileDamaged):
            decode(bytes(flipped), keys)
    for length in range(len(data)):
        with pytest.raises(DeviceFileProblem):
            decode(data[:length], keys)


def test_the_readable_line_cannot_be_changed_either() -> None:
    keys = KeyRing("p")
    data = encode(file_of(), keys, FAST)
    line, rest = data.split(b"\n", 1)
    readable = json.loads(line)
    readable["month"] = "2026-11"  # as if moved to another month's name
    with pytest.raises(DeviceFileProblem):
        decode(json.dumps(readable, separators=(",", ":")).encode() + b"\n" + rest, keys)


def test_nothing_of_the_contents_is_readable_in_a_sealed_file() -> None:
    data = encode(file_of(), KeyRing("p"), FAST)
    for secret in ("replika", "Replika", "custom-my-friend", "My Friend Bot", "Kitchen laptop",
                   "Kitchen", "day_start_hour", "daily"):
        for form in (secret.encode(), secret.encode("utf-16-le"),
                     base64.b64encode(secret.encode())):
            assert form not in data, secret
    # Nor once unpacked: no gzip or deflate stream starts at any byte of it.
    for offset in range(len(data)):
        for wbits in (31, -15):
            try:
                unpacked = zlib.decompressobj(wbits=wbits).decompress(data[offset:], 1 << 20)
            except zlib.error:
                continue
            assert b"replika" not in unpacked and b"Kitchen" not in unpacked, offset
    # What stays readable: the format, the device's random id, the month, how it is sealed.
    readable = json.loads(data.split(b"\n", 1)[0])
    assert set(readable) == {"driftcheck-sync", "device", "month", "seal", "size"}
    assert set(readable["seal"]) == {"aead", "kdf", "n", "r", "p", "salt", "check"}


def test_each_sealing_uses_a_fresh_nonce() -> None:
    keys = KeyRing("p")
    assert encode(file_of(), keys, FAST) != encode(file_of(), keys, FAST)


def test_a_key_is_derived_once_per_salt_however_often_files_are_read() -> None:
    keys = KeyRing("p")
    data = encode(file_of(), keys, FAST)
    for _ in range(20):
        decode(data, keys)
    other = KdfParams(b"another salt 123", n=2**10)
    decode(encode(file_of(), keys, other), keys)
    assert keys.derivations == 2
    assert "p" not in repr(keys)


@pytest.mark.parametrize("params", [
    {"kdf": "scrypt", "n": 2**21, "r": 8, "p": 1, "salt": "AAAAAAAAAAAAAAAAAAAAAA=="},  # 2 GiB
    {"kdf": "scrypt", "n": 2**17, "r": 64, "p": 1, "salt": "AAAAAAAAAAAAAAAAAAAAAA=="},
    {"kdf": "scrypt", "n": 2**17, "r": 8, "p": 1000, "salt": "AAAAAAAAAAAAAAAAAAAAAA=="},
    {"kdf": "scrypt", "n": 1000, "r": 8, "p": 1, "salt": "AAAAAAAAAAAAAAAAAAAAAA=="},
    {"kdf": "scrypt", "n": 2**17, "r": 8, "p": 1, "salt": ""},
    {"kdf": "scrypt", "n": 2**17, "r": 8, "p": 1, "salt": "not base64!"},
    {"kdf": "argon2", "n": 2**17, "r": 8, "p": 1, "salt": "AAAAAAAAAAAAAAAAAAAAAA=="},
    {"kdf": "scrypt", "n": "131072", "r": 8, "p": 1, "salt": "AAAAAAAAAAAAAAAAAAAAAA=="},
])
def test_a_file_cannot_make_a_reader_derive_with_costly_or_odd_parameters(
        params: dict[str, object]) -> None:
    with pytest.raises(SealParamsRefused):
        KdfParams.from_json(params)
    data = encode(file_of(), KeyRing("p"), FAST)
    line, rest = data.split(b"\n", 1)
    readable = json.loads(line)
    readable["seal"].update(params)
    planted = json.dumps(readable).encode() + b"\n" + rest
    keys = KeyRing("p")
    with pytest.raises(DeviceFileDamaged):
        decode(planted, keys)
    assert keys.derivations == 0


def test_unseal_refuses_another_key_and_changed_associated_data() -> None:
    key = derive_key("p", FAST)
    nonce, sealed = seal(key, b"body", b"line")
    assert unseal(key, nonce, sealed, b"line") == b"body"
    with pytest.raises(SealBroken):
        unseal(derive_key("q", FAST), nonce, sealed, b"line")
    with pytest.raises(SealBroken):
        unseal(key, nonce, sealed, b"lime")


def test_the_real_key_derivation_is_memory_hard_and_its_time_is_printed() -> None:
    params = KdfParams.fresh()
    assert (params.n, params.r, params.p) == (SCRYPT_N, 8, 1) and len(params.salt) == 16
    began = time.perf_counter()
    key = derive_key("a passphrase", params)
    took = time.perf_counter() - began
    print(f"\nFIGURE scrypt n=2**17 r=8 p=1 (128 MiB): {took:.3f} s to derive one key")
    assert len(key) == 32 and key == derive_key("a passphrase", params)

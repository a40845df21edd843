"""MS-OVBA compression: the specification's worked examples, then random round trips to 1 MB."""
from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oletools.olevba import decompress_stream

from xltools.excel import ovba

# [MS-OVBA] §3.2.1–3.2.3: (decompressed text, compressed container as printed in the spec).
SPEC_EXAMPLES = [
    pytest.param(b"abcdefghijklmnopqrstuv.",
                 "01 19 B0 00 61 62 63 64 65 66 67 68 00 69 6A 6B 6C 6D 6E 6F 70 00 71 72 73 74 75 76 2E",
                 id="3.2.1-no-compression"),
    pytest.param(b"#aaabcdefaaaaghijaaaaaklaaamnopqaaaaaaaaaaaarstuvwxyzaaa",
                 "01 2F B0 00 23 61 61 61 62 63 64 65 82 66 00 70 61 67 68 69 6A 01 38 08 61 6B 6C 00 20 6D 6E"
                 " 6F 70 06 71 02 70 04 00 72 73 74 75 76 10 77 78 79 7A 00 2C",
                 id="3.2.2-normal-compression"),
    pytest.param(b"a" * 73, "01 03 B0 02 61 45 00", id="3.2.3-maximum-compression"),
]


@pytest.mark.parametrize("text,hex_bytes", SPEC_EXAMPLES)
def test_compress_reproduces_the_spec_bytes(text, hex_bytes):
    assert ovba.compress(text) == bytes.fromhex(hex_bytes)


@pytest.mark.parametrize("text,hex_bytes", SPEC_EXAMPLES)
def test_decompress_reads_the_spec_bytes(text, hex_bytes):
    assert ovba.decompress(bytes.fromhex(hex_bytes)) == text


@pytest.mark.parametrize("text,hex_bytes", SPEC_EXAMPLES)
def test_oletools_reads_our_compression_of_the_examples(text, hex_bytes):
    assert decompress_stream(bytearray(ovba.compress(text))) == text


def _roundtrip(data: bytes) -> None:
    packed = ovba.compress(data)
    assert ovba.decompress(packed) == data
    if data:  # oletools rejects a container without chunks
        assert decompress_stream(bytearray(packed)) == data
    # Every chunk but the last holds exactly 4096 bytes, so the chunk count follows the size.
    assert len(ovba.chunk_flags(packed)) == -(-len(data) // ovba.CHUNK)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=20_000))
def test_round_trip_small_binaries(data):
    _roundtrip(data)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([b"a", b"ab", b"   ", b"\r\n", b"End Sub", b"\x00", b"\xff\xfe"]), max_size=3000))
def test_round_trip_repetitive_text(parts):
    _roundtrip(b"".join(parts))


def _large(seed: int, size: int, style: str) -> bytes:
    """Deterministic input of ``size`` bytes: random noise, runs, or text-like repeats."""
    rnd = random.Random(seed)
    if style == "noise":
        return rnd.randbytes(size)
    if style == "runs":
        out = bytearray()
        while len(out) < size:
            out += bytes([rnd.randrange(256)]) * rnd.randrange(1, 300)
        return bytes(out[:size])
    words = [rnd.randbytes(rnd.randrange(1, 12)) for _ in range(64)]
    out = bytearray()
    while len(out) < size:
        out += rnd.choice(words)
    return bytes(out[:size])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), size=st.integers(0, 1 << 20),
       style=st.sampled_from(["noise", "runs", "text"]))
def test_round_trip_up_to_one_megabyte(seed, size, style):
    _roundtrip(_large(seed, size, style))


def test_one_megabyte_of_noise_and_the_chunk_boundaries():
    for size in (1 << 20, 4095, 4096, 4097, 3640, 3641, 8192 + 3700):
        _roundtrip(_large(size, size, "noise"))


def test_incompressible_full_chunks_are_stored_raw():
    packed = ovba.compress(_large(7, 3 * ovba.CHUNK, "noise"))
    assert ovba.chunk_flags(packed) == [False, False, False]


def test_text_chunks_are_all_compressed():
    text = b"Public Sub XltOnAction(control As IRibbonControl)\r\n    XltRun control.Id\r\nEnd Sub\r\n" * 400
    assert all(ovba.chunk_flags(ovba.compress(text)))


@pytest.mark.parametrize("bad", [b"", b"\x02\x00\x00", b"\x01\x19\xa0abc", b"\x01\x03\xb0\x02\x61\x45"])
def test_corrupt_containers_raise(bad):
    with pytest.raises(ovba.OvbaError):
        ovba.decompress(bad)


def test_copy_token_before_chunk_start_is_rejected():
    # A copy token as the first token of a chunk has nothing to copy from.
    with pytest.raises(ovba.OvbaError):
        ovba.decompress(bytes.fromhex("01 03 B0 01 00 00"))


def _spec_compress(data: bytes) -> bytes:
    """A literal transcription of the pseudocode of [MS-OVBA] §2.4.1.3.6–§2.4.1.3.19.4 (slow)."""
    out = bytearray([1])
    for start in range(0, len(data), 4096):
        end = min(start + 4096, len(data))
        body, cur = bytearray(), start
        while cur < end and len(body) < 4096:
            flag_at, flags = len(body), 0
            body.append(0)
            for bit in range(8):
                if cur >= end or len(body) >= 4096:
                    break
                best_len, best = 0, None
                cand = cur - 1
                while cand >= start:
                    c, d, n = cand, cur, 0
                    while d < end and data[d] == data[c]:
                        n, c, d = n + 1, c + 1, d + 1
                    if n > best_len:
                        best_len, best = n, cand
                    cand -= 1
                if best_len >= 3:
                    bits = max((cur - start - 1).bit_length(), 4)
                    length = min(best_len, (0xFFFF >> bits) + 3)
                    if len(body) + 1 < 4096:
                        body += (((cur - best - 1) << (16 - bits)) | (length - 3)).to_bytes(2, "little")
                        flags |= 1 << bit
                        cur += length
                    else:
                        body.extend(b"\0" * (4096 - len(body)))
                else:
                    body.append(data[cur])
                    cur += 1
            body[flag_at] = flags
        if cur < end:
            out += ((4095) | (3 << 12)).to_bytes(2, "little") + data[start:end]
        else:
            out += ((len(body) - 1) | (3 << 12) | 0x8000).to_bytes(2, "little") + body
    return bytes(out)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200) | st.text(alphabet="ab \r\n", max_size=200).map(str.encode))
def test_short_inputs_match_the_pseudocode_byte_for_byte(data):
    # Under 257 bytes no match can outgrow a copy token, so even the offsets must agree.
    assert ovba.compress(data) == _spec_compress(data)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet="ab \r\nEnd", min_size=300, max_size=6000).map(str.encode))
def test_longer_inputs_have_the_pseudocodes_size(data):
    ours, spec = ovba.compress(data), _spec_compress(data)
    assert len(ours) == len(spec)
    assert ovba.decompress(spec) == data == ovba.decompress(ours)

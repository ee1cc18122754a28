#!/usr/bin/env python3
"""Writes the PNG corpus of PNGPixelsTests: valid images of every colour type, depth and
interlace (ok-*.png), and images whose chunks and CRCs are all valid but whose image data a
decoder cannot use (bad-*.png). Standard library only (zlib). Run from this folder:
    python3 make.py
"""
import struct, zlib, random

def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)

def png(width, height, colour, depth, raw, interlace=0, palette=None, idat_split=None):
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, interlace))
    if palette is not None:
        out += chunk(b"PLTE", palette)
    data = raw if isinstance(raw, bytes) and raw[:1] == b"\x78" else zlib.compress(raw)
    parts = [data] if not idat_split else [data[i:i + idat_split] for i in range(0, len(data), idat_split)]
    for part in parts:
        out += chunk(b"IDAT", part)
    return out + chunk(b"IEND", b"")

CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}

def rows(width, height, colour, depth, interlace, rng, filters=(0, 1, 2, 3, 4)):
    bpp = CHANNELS[colour] * depth
    if interlace == 0:
        passes = [(width, height)]
    else:
        passes = []
        for x0, y0, dx, dy in [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]:
            pw = (width - x0 + dx - 1) // dx if width > x0 else 0
            ph = (height - y0 + dy - 1) // dy if height > y0 else 0
            if pw and ph:
                passes.append((pw, ph))
    raw = b""
    for pw, ph in passes:
        for _ in range(ph):
            raw += bytes([rng.choice(filters)]) + bytes(rng.randrange(256) if colour != 3 else rng.randrange(2) for _ in range((pw * bpp + 7) // 8))
    return raw

def main():
    rng = random.Random(7)
    palette = bytes(range(48))  # 16 entries
    formats = [(0, 1), (0, 2), (0, 4), (0, 8), (0, 16), (2, 8), (2, 16), (3, 1), (3, 2), (3, 4), (3, 8), (4, 8), (4, 16), (6, 8), (6, 16)]
    for colour, depth in formats:
        for width, height in [(1, 1), (3, 5), (9, 9), (17, 2)]:
            for interlace in (0, 1):
                raw = rows(width, height, colour, depth, interlace, rng)
                name = f"ok-c{colour}-d{depth}-{width}x{height}-i{interlace}.png"
                open(name, "wb").write(png(width, height, colour, depth, raw, interlace, palette if colour == 3 else None, idat_split=7 if width == 9 else None))
    raw = rows(16, 16, 2, 8, 0, rng)
    # Every row present, the stream split into one-byte IDAT chunks.
    open("ok-split-into-one-byte-chunks.png", "wb").write(png(16, 16, 2, 8, raw, idat_split=1))
    # Extra bytes after the last row: decoders ignore them.
    open("ok-extra-data-after-the-last-row.png", "wb").write(png(16, 16, 2, 8, raw + b"\0" * 49))
    # Broken: every chunk and CRC valid.
    open("bad-rows-missing.png", "wb").write(png(16, 16, 2, 8, raw[: len(raw) // 2]))
    open("bad-one-byte-short.png", "wb").write(png(16, 16, 2, 8, raw[:-1]))
    open("bad-interlaced-last-pass-missing.png", "wb").write(png(9, 9, 2, 8, rows(9, 9, 2, 8, 1, rng)[:-(9 * 3 + 1) * 4], interlace=1))
    bad_filter = bytearray(raw)
    bad_filter[(16 * 3 + 1) * 5] = 5
    open("bad-unknown-filter-type.png", "wb").write(png(16, 16, 2, 8, bytes(bad_filter)))
    stream = zlib.compress(raw)
    open("bad-stream-cut-short.png", "wb").write(png(16, 16, 2, 8, stream[: len(stream) // 2]))
    garbage = bytearray(stream)
    for i in range(2, len(garbage) - 4):
        garbage[i] = rng.randrange(256)
    open("bad-deflate-garbage.png", "wb").write(png(16, 16, 2, 8, bytes(garbage)))
    checksum = bytearray(stream)
    checksum[-1] ^= 0xFF
    open("bad-adler32-wrong.png", "wb").write(png(16, 16, 2, 8, bytes(checksum)))
    open("bad-not-zlib.png", "wb").write(png(16, 16, 2, 8, b"\x78" + bytes(rng.randrange(256) for _ in range(300))))
    open("bad-colour-type-5.png", "wb").write(png(4, 4, 5, 8, rows(4, 4, 2, 8, 0, rng)))
    open("bad-rgb-with-4-bit-samples.png", "wb").write(png(4, 4, 2, 4, rows(4, 4, 2, 8, 0, rng)))

main()

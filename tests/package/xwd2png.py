"""Xvfb's screen (the XWD file that `Xvfb -fbdir DIR` keeps as DIR/Xvfb_screen0) to a PNG.

Usage: python3 xwd2png.py DIR/Xvfb_screen0 OUT.png. Standard library only: the package
test takes its screenshot without ImageMagick. TrueColor ZPixmap of 24 or 32 bits per
pixel, as Xvfb writes with -screen 0 WxHx24.
"""

import struct
import sys
import zlib


def shift_of(mask):
    return (mask & -mask).bit_length() - 1


def main(src, dst):
    with open(src, "rb") as f:
        data = f.read()
    fields = struct.unpack(">25I", data[:100])
    header_size, _version, pixmap_format = fields[0:3]
    width, height = fields[4], fields[5]
    byte_order, bits_per_pixel, bytes_per_line = fields[7], fields[11], fields[12]
    red_mask, green_mask, blue_mask = fields[14:17]
    ncolors = fields[19]
    if pixmap_format != 2 or bits_per_pixel not in (24, 32):
        sys.exit(f"xwd2png: format {pixmap_format}, {bits_per_pixel} bpp non pris en charge")
    start = header_size + 12 * ncolors
    step = bits_per_pixel // 8
    order = "little" if byte_order == 0 else "big"
    shifts = [shift_of(m) for m in (red_mask, green_mask, blue_mask)]
    rows = bytearray()
    for y in range(height):
        line = data[start + y * bytes_per_line : start + y * bytes_per_line + width * step]
        rows.append(0)
        for x in range(0, width * step, step):
            p = int.from_bytes(line[x : x + step], order)
            rows += bytes(((p >> s) & 0xFF) for s in shifts)

    def chunk(kind, body):
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    png = b"\x89PNG\r\n\x1a\n"
    png += chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(bytes(rows), 6))
    png += chunk(b"IEND", b"")
    with open(dst, "wb") as f:
        f.write(png)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage : xwd2png.py Xvfb_screen0 sortie.png")
    main(sys.argv[1], sys.argv[2])

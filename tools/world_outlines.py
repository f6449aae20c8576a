"""Derive bot/pictures/data/world_110m.json, the country outlines the digest's world map draws.

The outlines are Natural Earth's 1:110m admin-0 countries (public domain), as geopandas 0.14
ships them (`geopandas/datasets/naturalearth_lowres`, removed from later geopandas). The map
itself never reads a shapefile or downloads anything: this script is run once, by hand, and its
small output is committed.

    pip download --no-deps -d /tmp/ne geopandas==0.14.4
    unzip -q /tmp/ne/geopandas-0.14.4-py3-none-any.whl 'geopandas/datasets/*' -d /tmp/ne
    python tools/world_outlines.py /tmp/ne/geopandas/datasets/naturalearth_lowres

Countries too small for a 110m outline (Singapore, Bahrain, Malta, the Holy See…) get a point
from countryinfo's coordinates, so the map can still mark them. Coordinates are kept to 0.1°
(about 11 km, finer than a 110m outline) as integers, each ring a flat list
`[lon10, lat10, lon10, lat10, …]`; Antarctica is left out (nothing diplomatic to shade, and it
takes a fifth of a world map's height).
"""

from __future__ import annotations

import itertools
import json
import struct
import sys
from pathlib import Path

import pycountry
from countryinfo import CountryInfo

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "bot" / "pictures" / "data" / "world_110m.json"
DEFAULT_FOLDER = "/tmp/ne/geopandas/datasets/naturalearth_lowres"
SHAPE_POLYGON = 5
LEFT_OUT = {"ATA"}
LEFT_OUT_ALPHA_2 = {"AQ"}
# Natural Earth codes that are not ISO 3166-1 alpha-3 (geopandas filled -99 from ADM0_A3).
# Kosovo (by name: its code is -99) gets its user-assigned code; N. Cyprus and Somaliland stay
# uncoded land.
CODED_BY_NAME = {"Kosovo": "XK"}


def read_dbf(path: Path, encoding: str) -> list[dict[str, str]]:
    """The attribute table of a dBASE III file, every value as stripped text."""
    data = path.read_bytes()
    records, header_length, record_length = struct.unpack("<I2H", data[4:12])
    fields: list[tuple[str, int]] = []
    offset = 32
    while data[offset] != 0x0D:
        name = data[offset : offset + 11].split(b"\0", 1)[0].decode("ascii")
        fields.append((name, data[offset + 16]))
        offset += 32
    rows = []
    for index in range(records):
        start = header_length + index * record_length + 1  # after the deletion flag
        row: dict[str, str] = {}
        for name, length in fields:
            row[name] = data[start : start + length].decode(encoding).strip()
            start += length
        rows.append(row)
    return rows


def read_polygons(path: Path) -> list[list[list[tuple[float, float]]]]:
    """Every record of a polygon shapefile as its rings of (lon, lat) points."""
    data = path.read_bytes()
    shapes = []
    offset = 100
    while offset < len(data):
        _, words = struct.unpack(">2i", data[offset : offset + 8])
        content = data[offset + 8 : offset + 8 + words * 2]
        offset += 8 + words * 2
        (shape_type,) = struct.unpack("<i", content[:4])
        if shape_type != SHAPE_POLYGON:
            raise ValueError(f"{path}: shape type {shape_type}, expected polygons")
        parts_count, points_count = struct.unpack("<2i", content[36:44])
        parts = list(struct.unpack(f"<{parts_count}i", content[44 : 44 + 4 * parts_count]))
        start = 44 + 4 * parts_count
        flat = struct.unpack(f"<{2 * points_count}d", content[start : start + 16 * points_count])
        points = list(zip(flat[0::2], flat[1::2], strict=True))
        bounds = [*parts, points_count]
        shapes.append([points[a:b] for a, b in itertools.pairwise(bounds)])
    return shapes


def alpha_2(alpha_3: str, name: str) -> str:
    """The ISO alpha-2 code of a Natural Earth country ("" for territories without one)."""
    if name in CODED_BY_NAME:
        return CODED_BY_NAME[name]
    country = pycountry.countries.get(alpha_3=alpha_3)
    return country.alpha_2 if country is not None else ""


def compact_ring(ring: list[tuple[float, float]]) -> list[int]:
    """A ring at 0.1° as a flat integer list, repeated points dropped."""
    flat: list[int] = []
    previous: tuple[int, int] | None = None
    for lon, lat in ring:
        point = (round(lon * 10), round(lat * 10))
        if point != previous:
            flat.extend(point)
            previous = point
    return flat


def small_country_points(outlined: set[str]) -> dict[str, list[int]]:
    """Where countries without an outline are (countryinfo's coordinates), by ISO alpha-2."""
    valid = {country.alpha_2 for country in pycountry.countries}
    points: dict[str, list[int]] = {}
    for record in CountryInfo.all().values():
        code = (record.get("ISO") or {}).get("alpha2") or ""
        latlng = record.get("latlng")
        if code in valid and code not in outlined and code not in points and latlng:
            lat, lon = latlng
            points[code] = [round(lon * 10), round(lat * 10)]
    for code in LEFT_OUT_ALPHA_2:
        points.pop(code, None)
    return dict(sorted(points.items()))


def main(folder: str) -> int:
    base = Path(folder) / "naturalearth_lowres"
    encoding = base.with_suffix(".cpg").read_text(encoding="ascii").strip()
    rows = read_dbf(base.with_suffix(".dbf"), encoding)
    shapes = read_polygons(base.with_suffix(".shp"))
    countries = []
    for row, rings in zip(rows, shapes, strict=True):
        if row["iso_a3"] in LEFT_OUT:
            continue
        compact = [flat for ring in rings if len(flat := compact_ring(ring)) >= 6]
        code = alpha_2(row["iso_a3"], row["name"])
        countries.append({"code": code, "name": row["name"], "rings": compact})
    document = {
        "source": "Natural Earth 1:110m admin-0 countries (public domain), via geopandas 0.14 "
        "naturalearth_lowres; derived by tools/world_outlines.py",
        "scale": 10,
        "countries": countries,
        "points": small_country_points({c["code"] for c in countries if c["code"]}),
    }
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(document, separators=(",", ":")) + "\n", encoding="utf-8")
    points = sum(len(r) // 2 for c in countries for r in c["rings"])
    print(
        f"wrote {OUTPUT} ({len(countries)} countries, {points} outline points, "
        f"{len(document['points'])} small countries as points)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_FOLDER))

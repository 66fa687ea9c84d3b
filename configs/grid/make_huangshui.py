"""Generate the 黄水镇 "5+13+50" example deployment: the grid and the cameras placed in it.

    .venv/bin/python configs/grid/make_huangshui.py   # rewrites both example files

The geometry is illustrative, not surveyed: an irregular town outline around 30.23 N 108.40 E
tiled by centroidal Voronoi cells (5 一级 片区, 13 二级 村/社区, 50 三级 微网格), so that the
cells tile without overlaps or gaps and every child lies inside its parent. The script is
deterministic (fixed seed) and checks its output with central's own validator before writing.
"""

from __future__ import annotations

import json
import math
import random
import sys
from pathlib import Path
from typing import Any

import yaml
from shapely import MultiPoint, Point, Polygon, set_precision, voronoi_polygons
from shapely.geometry import mapping

from gridwatch_central.grid.codes import GridCodeScheme
from gridwatch_central.grid.homography import ReferencePoint, fit_ground_mapping
from gridwatch_central.grid.validation import validate_document

HERE = Path(__file__).resolve().parent
GRID_FILE = HERE / "huangshui.geojson"
CAMERA_FILE = HERE.parent / "cameras.huangshui.yaml"
SEED = 47678
DISTRICT = "500240"  # 重庆市石柱土家族自治县
CENTRE = (108.40, 30.23)  # lon, lat
HALF_SIZE = (0.038, 0.028)  # degrees: stays inside lon 108.36-108.44, lat 30.20-30.26
# 1e-6 degrees is ~0.1 m: finer than any boundary a grid office digitises.
PRECISION = 1e-6
LLOYD_ITERATIONS = 6  # relaxation steps: enough for cells of even size and compact shape

TOWNS = ["集镇片区", "月亮湖片区", "大风堡片区", "油草河片区", "万胜坝片区"]
COMMUNITIES = [
    ["黄水社区", "金花社区", "月亮湖社区"],
    ["太平村", "新建村", "盐井村"],
    ["大风堡村", "石笋村", "金岭村"],
    ["油草村", "冷水溪村"],
    ["万胜坝村", "龙河村"],
]
MICRO_GRIDS = [5, 4, 4, 4, 4, 4, 4, 4, 4, 4, 3, 3, 3]  # per community, in order: 50 in all
NUMERALS = "一二三四五六七八九十"


def town_outline(rng: random.Random) -> Polygon:
    points = []
    for k in range(28):
        angle = 2 * math.pi * k / 28
        radius = rng.uniform(0.82, 1.0)
        points.append(
            (
                CENTRE[0] + HALF_SIZE[0] * radius * math.cos(angle),
                CENTRE[1] + HALF_SIZE[1] * radius * math.sin(angle),
            )
        )
    return Polygon(points)


def random_points(area: Polygon, count: int, rng: random.Random) -> list[Point]:
    minx, miny, maxx, maxy = area.bounds
    found: list[Point] = []
    while len(found) < count:
        point = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if area.contains(point):
            found.append(point)
    return found


def tile(area: Polygon, count: int, rng: random.Random) -> list[Polygon]:
    """``count`` compact cells exactly covering ``area`` (centroidal Voronoi, Lloyd's method)."""
    seeds = random_points(area, count, rng)
    for _ in range(LLOYD_ITERATIONS + 1):
        cells = [
            cell.intersection(area)
            for cell in voronoi_polygons(MultiPoint(seeds), extend_to=area).geoms
        ]
        seeds = [cell.centroid for cell in cells]
    # Number the cells north to south, then west to east, as a map reader would.
    cells.sort(key=lambda c: (-round(c.centroid.y, 3), c.centroid.x))
    return [_single_polygon(cell) for cell in cells]


def _single_polygon(geometry: Any) -> Polygon:
    geometry = set_precision(geometry, PRECISION)
    if geometry.geom_type == "MultiPolygon":  # a sliver cut off by a bend of the parent
        geometry = max(geometry.geoms, key=lambda g: g.area)
    return geometry


def feature(code: str, name: str, level: int, parent: str | None, shape: Polygon) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name, "level": level, "parent_code": parent},
        "geometry": json.loads(json.dumps(mapping(shape))),
    }


def build_grid(rng: random.Random) -> tuple[dict[str, Any], dict[str, Polygon]]:
    features: list[dict[str, Any]] = []
    shapes: dict[str, Polygon] = {}
    counts = iter(MICRO_GRIDS)
    for t, (town, town_shape) in enumerate(
        zip(TOWNS, tile(town_outline(rng), 5, rng), strict=True), 1
    ):
        town_code = f"{DISTRICT}{100 + t:03d}000000"
        features.append(feature(town_code, f"黄水镇{town}", 1, None, town_shape))
        names = COMMUNITIES[t - 1]
        for c, (name, shape) in enumerate(
            zip(names, tile(town_shape, len(names), rng), strict=True), 1
        ):
            community_code = f"{town_code[:9]}{c:03d}000"
            features.append(feature(community_code, name, 2, town_code, shape))
            shapes[community_code] = shape
            micro = next(counts)
            for n, cell in enumerate(tile(shape, micro, rng), 1):
                code = f"{community_code[:12]}{n:03d}"
                features.append(
                    feature(code, f"{name}第{NUMERALS[n - 1]}网格", 3, community_code, cell)
                )
                shapes[code] = cell
    document = {
        "type": "FeatureCollection",
        "name": "石柱土家族自治县黄水镇 5+13+50 网格 (illustrative geometry, WGS-84)",
        "features": features,
    }
    return document, shapes


# ------------------------------------------------------------------------------- cameras
METRES_PER_DEGREE = 111_195.0
FRAME = (1920, 1080)
# Pixel corners of the calibrated ground rectangle as a pole camera 6-8 m up sees it: the near
# edge spans the bottom of the image, the far edge is foreshortened near the middle.
PIXEL_CORNERS = [(160.0, 1040.0), (1760.0, 1040.0), (1280.0, 470.0), (640.0, 470.0)]
EXTRA_PIXELS = [(960.0, 900.0), (960.0, 560.0)]  # two more points: lets the fit report error
DEPTH_M, WIDTH_M = 70.0, 50.0  # ground rectangle: 35 m either side of the boundary


def offset(lon: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    scale = METRES_PER_DEGREE * math.cos(math.radians(lat))
    return lon + east_m / scale, lat + north_m / METRES_PER_DEGREE


def boundary_view(a: Polygon, b: Polygon) -> tuple[list[tuple[float, float]], tuple[float, float]]:
    """Ground corners (lon, lat) of a rectangle centred on the a|b boundary, near edge in a; and
    the camera position 15 m behind the near edge."""
    shared = a.boundary.intersection(b.boundary)
    line = max(getattr(shared, "geoms", [shared]), key=lambda g: g.length)
    middle = line.interpolate(0.5, normalized=True)
    towards_b = (b.centroid.x - a.centroid.x, b.centroid.y - a.centroid.y)
    scale = math.cos(math.radians(middle.y))
    fx, fy = towards_b[0] * scale, towards_b[1]
    norm = math.hypot(fx, fy)
    fx, fy = fx / norm, fy / norm  # forward, metres-east/north unit vector
    rx, ry = fy, -fx  # right of forward
    lon, lat = middle.x, middle.y
    half_d, half_w = DEPTH_M / 2, WIDTH_M / 2
    near_left = offset(lon, lat, -half_d * fx - half_w * rx, -half_d * fy - half_w * ry)
    near_right = offset(lon, lat, -half_d * fx + half_w * rx, -half_d * fy + half_w * ry)
    far_right = offset(lon, lat, half_d * fx + half_w * rx, half_d * fy + half_w * ry)
    far_left = offset(lon, lat, half_d * fx - half_w * rx, half_d * fy - half_w * ry)
    camera = offset(lon, lat, -(half_d + 15) * fx, -(half_d + 15) * fy)
    return [near_left, near_right, far_right, far_left], camera


def homography_points(corners: list[tuple[float, float]]) -> list[dict[str, float]]:
    exact = [
        ReferencePoint(x=x, y=y, lat=lat, lon=lon)
        for (x, y), (lon, lat) in zip(PIXEL_CORNERS, corners, strict=True)
    ]
    mapping_ = fit_ground_mapping(exact, *FRAME)
    points = [{"x": p.x, "y": p.y, "lat": round(p.lat, 7), "lon": round(p.lon, 7)} for p in exact]
    for x, y in EXTRA_PIXELS:
        ground = mapping_.to_ground(x, y, *FRAME)
        assert ground is not None
        points.append({"x": x, "y": y, "lat": round(ground[0], 7), "lon": round(ground[1], 7)})
    return points


PLAIN_CAMERAS = [
    ("500240101001001", "黄水镇集镇十字路口"),
    ("500240101001003", "黄水社区农贸市场"),
    ("500240101002002", "金花社区学校门口"),
    ("500240101003001", "月亮湖景区入口"),
    ("500240102001002", "太平村客运招呼站"),
    ("500240103001001", "大风堡景区停车场"),
    ("500240104001002", "油草村村委会"),
    ("500240105001001", "万胜坝村公路桥头"),
    ("500240105002003", "龙河村河堤"),
]
BOUNDARY_CAMERAS = [
    ("500240101001001", "500240101001002", "黄水社区中心街 (两网格交界)"),
    ("500240102002001", "500240102002002", "新建村集市路口 (两网格交界)"),
    ("500240104002001", "500240104002002", "冷水溪村场镇 (两网格交界)"),
]


def build_cameras(shapes: dict[str, Polygon]) -> list[dict[str, Any]]:
    cameras: list[dict[str, Any]] = []
    for number, (code, name) in enumerate(PLAIN_CAMERAS, start=1):
        where = shapes[code].representative_point()
        cameras.append(_camera(number, name, (where.x, where.y), None))
    for number, (a, b, name) in enumerate(BOUNDARY_CAMERAS, start=len(PLAIN_CAMERAS) + 1):
        corners, position = boundary_view(shapes[a], shapes[b])
        homography = {"frame": {"width": FRAME[0], "height": FRAME[1]}}
        homography["points"] = homography_points(corners)  # type: ignore[assignment]
        cameras.append(_camera(number, name, position, homography))
    return cameras


def _camera(
    number: int, name: str, lon_lat: tuple[float, float], homography: dict[str, Any] | None
) -> dict[str, Any]:
    edge = (number - 1) // 3 + 1
    camera: dict[str, Any] = {
        "id": f"hs-cam-{number:02d}",
        "edge_id": f"edge-hs-{edge:02d}",
        "name": name,
        # Example credentials: replace with the camera's real account (never shown by the API).
        "rtsp_url": f"rtsp://admin:CHANGE-ME@10.50.{edge}.{10 + number}:554/Streaming/Channels/101",
        "location": {"lat": round(lon_lat[1], 7), "lon": round(lon_lat[0], 7)},
    }
    if homography is not None:
        camera["homography"] = homography
    return camera


def main() -> int:
    rng = random.Random(SEED)
    document, shapes = build_grid(rng)
    _cells, report = validate_document(document, GridCodeScheme())
    if not report.valid:
        print("\n".join(report.messages()), file=sys.stderr)
        return 1
    lines = ",\n".join(json.dumps(f, ensure_ascii=False) for f in document["features"])
    header = json.dumps({k: v for k, v in document.items() if k != "features"}, ensure_ascii=False)
    GRID_FILE.write_text(f'{header[:-1]}, "features": [\n{lines}\n]}}\n', encoding="utf-8")
    cameras = {"cameras": build_cameras(shapes)}
    text = yaml.safe_dump(cameras, allow_unicode=True, sort_keys=False, width=100)
    CAMERA_FILE.write_text(
        "# Cameras of the 黄水镇 example deployment, generated by configs/grid/make_huangshui.py.\n"
        "# hs-cam-10..12 each overlook the boundary of two micro-grids and carry a homography\n"
        "# (pixel ↔ lat/lon reference points), so central places each event in the right one.\n"
        + text,
        encoding="utf-8",
    )
    print(f"{GRID_FILE.name}: {report.cells_by_level}; {CAMERA_FILE.name}: 12 cameras")
    return 0


if __name__ == "__main__":
    sys.exit(main())

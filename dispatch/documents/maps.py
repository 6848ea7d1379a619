"""Maps of planned rounds, drawn offline from the road network.

* ``round_map_png``: one round over the streets (matplotlib, Agg), for the PDF manifest.
* ``day_map_svg``: every round of a day, one colour each, as inline SVG for the coordinator page.

Both take the GeoJSON of ``dispatch.documents.geometry.round_geojson`` (street-level legs and numbered stops).
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Sequence
from html import escape

import numpy as np

from dispatch.roads import RoadNetwork

ROUND_COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
STREET_COLOUR = "#c8c8c8"
_segments_lock = threading.Lock()
_segments_cache: dict[str, np.ndarray] = {}


def round_colour(index: int) -> str:
    return ROUND_COLOURS[index % len(ROUND_COLOURS)]


def street_segments(network: RoadNetwork) -> np.ndarray:
    """Every street of the graph as straight segments, shape (n, 4): lon1, lat1, lon2, lat2. Cached per network."""
    key = getattr(network, "fingerprint", None) or str(id(network))
    with _segments_lock:
        cached = _segments_cache.get(key)
        if cached is not None:
            return cached
        g = network.graph
        segs: list[tuple[float, float, float, float]] = []
        seen: set[tuple] = set()
        for u, v, d in g.edges(data=True):
            pair = (u, v) if str(u) <= str(v) else (v, u)
            if pair in seen:
                continue
            seen.add(pair)
            geom = d.get("geometry")
            if geom is not None and hasattr(geom, "coords"):
                pts = [(float(x), float(y)) for x, y, *_ in geom.coords]
            else:
                nu, nv = g.nodes[u], g.nodes[v]
                pts = [(float(nu["x"]), float(nu["y"])), (float(nv["x"]), float(nv["y"]))]
            segs.extend((a[0], a[1], b[0], b[1]) for a, b in zip(pts, pts[1:]))
        arr = np.array(segs, dtype=np.float64).reshape(-1, 4)
        _segments_cache[key] = arr
        return arr


def _bbox(geos: Sequence[dict], margin: float = 0.08) -> tuple[float, float, float, float]:
    """(west, south, east, north) around every coordinate of the collections, with a margin."""
    xs: list[float] = []
    ys: list[float] = []
    for geo in geos:
        for f in geo["features"]:
            g = f["geometry"]
            coords = g["coordinates"] if g["type"] == "LineString" else [g["coordinates"]]
            for lon, lat in coords:
                xs.append(lon)
                ys.append(lat)
    if not xs:
        return (2.25, 48.81, 2.42, 48.91)  # Paris
    w, e, s, n = min(xs), max(xs), min(ys), max(ys)
    # at least ~800 m across, then the margin
    min_span = 0.008
    if e - w < min_span:
        c = (e + w) / 2
        w, e = c - min_span / 2, c + min_span / 2
    if n - s < min_span * 0.66:
        c = (n + s) / 2
        s, n = c - min_span * 0.33, c + min_span * 0.33
    dx, dy = (e - w) * margin, (n - s) * margin
    return (w - dx, s - dy, e + dx, n + dy)


def _fit(bbox: tuple[float, float, float, float], aspect: float) -> tuple[float, float, float, float]:
    """Grow the bbox so that its ground width / height equals ``aspect`` (equirectangular at its latitude)."""
    w, s, e, n = bbox
    k = math.cos(math.radians((s + n) / 2))
    width, height = (e - w) * k, n - s
    if width / height < aspect:
        extra = (height * aspect - width) / k / 2
        w, e = w - extra, e + extra
    else:
        extra = (width / aspect - height) / 2
        s, n = s - extra, n + extra
    return (w, s, e, n)


def _in_bbox(segs: np.ndarray, bbox: tuple[float, float, float, float]) -> np.ndarray:
    w, s, e, n = bbox
    lon_lo = np.minimum(segs[:, 0], segs[:, 2])
    lon_hi = np.maximum(segs[:, 0], segs[:, 2])
    lat_lo = np.minimum(segs[:, 1], segs[:, 3])
    lat_hi = np.maximum(segs[:, 1], segs[:, 3])
    return segs[(lon_hi >= w) & (lon_lo <= e) & (lat_hi >= s) & (lat_lo <= n)]


def _stop_points(geo: dict) -> list[tuple[float, float, str, str]]:
    """(lon, lat, label, kind) of the numbered stops and the depot (once)."""
    out = []
    depot_done = False
    for f in geo["features"]:
        if f["geometry"]["type"] != "Point":
            continue
        p = f["properties"]
        lon, lat = f["geometry"]["coordinates"]
        if p["kind"] == "depot":
            if depot_done:
                continue
            depot_done = True
            out.append((lon, lat, "D", "depot"))
        elif p["kind"] == "unload":
            continue  # the depot is already drawn
        else:
            out.append((lon, lat, str(p["position"]), "stop"))
    return out


def round_map_png(geo: dict, network: RoadNetwork, *, colour: str = ROUND_COLOURS[0], width_px: int = 1400,
                  height_px: int = 900, dpi: int = 200) -> bytes:
    """PNG of one round over the streets: route in ``colour``, numbered stops, D for the depot."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    bbox = _fit(_bbox([geo]), width_px / height_px)
    w, s, e, n = bbox
    fig = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(w, e)
    ax.set_ylim(s, n)
    ax.set_aspect(1 / math.cos(math.radians((s + n) / 2)))
    ax.set_axis_off()
    ax.add_artist(Rectangle((w, s), e - w, n - s, facecolor="white", edgecolor="#888888", linewidth=0.8, zorder=0))
    streets = _in_bbox(street_segments(network), bbox)
    if len(streets):
        ax.add_collection(LineCollection(streets.reshape(-1, 2, 2), colors=STREET_COLOUR, linewidths=0.35, zorder=1))
    legs = [np.asarray(f["geometry"]["coordinates"], dtype=float) for f in geo["features"]
            if f["geometry"]["type"] == "LineString" and len(f["geometry"]["coordinates"]) >= 2]
    if legs:
        ax.add_collection(LineCollection(legs, colors=colour, linewidths=1.6, alpha=0.9, zorder=2,
                                         capstyle="round", joinstyle="round"))
    for lon, lat, label, kind in _stop_points(geo):
        if kind == "depot":
            ax.plot(lon, lat, marker="s", markersize=9, markerfacecolor="black", markeredgecolor="white", zorder=4)
            ax.text(lon, lat, "D", color="white", fontsize=5.5, ha="center", va="center", weight="bold", zorder=5)
        else:
            ax.plot(lon, lat, marker="o", markersize=9, markerfacecolor="white", markeredgecolor=colour,
                    markeredgewidth=1.4, zorder=4)
            ax.text(lon, lat, label, color="black", fontsize=5, ha="center", va="center", weight="bold", zorder=5)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def day_map_svg(geos: Sequence[tuple[str, dict]], network: RoadNetwork, *, width: int = 900,
                height: int = 640) -> str:
    """Inline SVG of a day's rounds: ``geos`` = [(colour, round GeoJSON), ...]."""
    bbox = _fit(_bbox([g for _, g in geos] or [], margin=0.05), width / height)
    w, s, e, n = bbox

    def x(lon: float) -> float:
        return (lon - w) / (e - w) * width

    def y(lat: float) -> float:
        return (n - lat) / (n - s) * height

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="daymap" '
             f'role="img" aria-label="map">',
             f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff" stroke="#999"/>']
    streets = _in_bbox(street_segments(network), bbox)
    if len(streets):
        xs1 = (streets[:, 0] - w) / (e - w) * width
        ys1 = (n - streets[:, 1]) / (n - s) * height
        xs2 = (streets[:, 2] - w) / (e - w) * width
        ys2 = (n - streets[:, 3]) / (n - s) * height
        d = "".join(f"M{a:.0f} {b:.0f}L{c:.0f} {dd:.0f}" for a, b, c, dd in zip(xs1, ys1, xs2, ys2))
        parts.append(f'<path d="{d}" stroke="{STREET_COLOUR}" stroke-width="0.5" fill="none"/>')
    for colour, geo in geos:
        colour = escape(colour)
        for f in geo["features"]:
            if f["geometry"]["type"] == "LineString":
                pts = " ".join(f"{x(lo):.1f},{y(la):.1f}" for lo, la in f["geometry"]["coordinates"])
                parts.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2.2" '
                             'stroke-linejoin="round" stroke-opacity="0.85"/>')
    for colour, geo in geos:
        colour = escape(colour)
        for lon, lat, label, kind in _stop_points(geo):
            cx, cy = x(lon), y(lat)
            if kind == "depot":
                parts.append(f'<rect x="{cx - 8:.1f}" y="{cy - 8:.1f}" width="16" height="16" fill="#000"/>'
                             f'<text x="{cx:.1f}" y="{cy + 4:.1f}" font-size="11" text-anchor="middle" '
                             'fill="#fff" font-weight="bold">D</text>')
            else:
                parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="8" fill="#fff" stroke="{colour}" '
                             f'stroke-width="2.5"/><text x="{cx:.1f}" y="{cy + 3.5:.1f}" font-size="10" '
                             f'text-anchor="middle" font-family="sans-serif">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)

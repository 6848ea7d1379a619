"""Bundled graph location and (online) download of a fresh OSM graph."""

from __future__ import annotations

import gzip
import os
import shutil
import tempfile
from pathlib import Path

from dispatch.roads.errors import RoadFetchError

__all__ = ["default_graph_path", "fetch_graph", "DEFAULT_GRAPH_FILENAME"]

DEFAULT_GRAPH_FILENAME = "paris_hashcode2014_drive.graphml.gz"


def default_graph_path() -> Path:
    """Path of the bundled whole-Paris graph (``dispatch/data/roads/``)."""
    return Path(__file__).resolve().parent.parent / "data" / "roads" / DEFAULT_GRAPH_FILENAME


def fetch_graph(place: str | list[str], out: Path) -> Path:
    """Download the drivable OSM network of ``place`` (or of several places together, e.g. Paris and its
    neighbouring communes) and save it as gzip-compressed GraphML.

    Needs Internet access (Nominatim + Overpass). ``out`` gets a ``.gz`` suffix if missing;
    the file is written atomically. Returns the path written. The result is
    © OpenStreetMap contributors, ODbL 1.0: keep the attribution next to the file.
    """
    import osmnx as ox

    out = Path(out)
    if not out.name.endswith(".gz"):
        out = out.with_name(out.name + ".gz")
    try:
        query = place if isinstance(place, str) or len(place) != 1 else place[0]
        graph = ox.graph_from_place(query if isinstance(query, str) else list(query), network_type="drive")
    except Exception as exc:  # requests' errors subclass OSError; osmnx raises its own too
        offline = isinstance(exc, OSError) or "connect" in str(exc).lower()
        hint = (
            "This needs Internet access to nominatim.openstreetmap.org and the Overpass API; "
            "on an offline machine copy an existing .graphml(.gz) file instead."
            if offline
            else "Check the place name (it is geocoded with Nominatim, e.g. 'Paris, France')."
        )
        raise RoadFetchError(
            f"Could not download the road network for {place!r}: {type(exc).__name__}: {exc}. {hint}"
        ) from exc
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        plain = Path(tmp) / "graph.graphml"
        ox.save_graphml(graph, plain)
        packed = Path(tmp) / "graph.graphml.gz"
        with open(plain, "rb") as src, gzip.open(packed, "wb", compresslevel=9) as dst:
            shutil.copyfileobj(src, dst)
        os.replace(packed, out)
    return out

"""Reading a road graph file: GraphML or OSM XML, plain, gzip or bz2, into an osmnx MultiDiGraph.

Every failure (missing file, unreadable, unparsable, neither format) is a ``RoadGraphError``.
"""

from __future__ import annotations

import bz2
import gzip
import tempfile
from pathlib import Path
from typing import Any

import networkx as nx

from dispatch.roads.errors import RoadGraphError


def read_graph(path: Path) -> nx.MultiDiGraph:
    """The graph stored in ``path`` (format and compression told by the file's first bytes)."""
    import osmnx as ox

    if not path.is_file():
        raise RoadGraphError(f"Road graph file not found: {path}")
    with open(path, "rb") as fh:
        magic = fh.read(3)
    opener: Any = gzip.open if magic[:2] == b"\x1f\x8b" else bz2.open if magic == b"BZh" else open
    try:
        with opener(path, "rb") as fh:
            head = fh.read(4096).decode("utf-8", errors="replace")
    except OSError as exc:
        raise RoadGraphError(f"Cannot read road graph file {path}: {exc}") from exc
    try:
        if "<graphml" in head:
            if opener is open:
                return ox.load_graphml(path)
            with opener(path, "rt", encoding="utf-8") as fh:
                return ox.load_graphml(graphml_str=fh.read())
        if "<osm" in head:
            if opener is gzip.open:  # osmnx reads plain and .bz2 XML itself
                with tempfile.TemporaryDirectory() as tmp:
                    plain = Path(tmp) / "graph.osm"
                    with gzip.open(path, "rb") as src, open(plain, "wb") as dst:
                        dst.write(src.read())
                    return ox.graph_from_xml(plain, retain_all=True)
            return ox.graph_from_xml(path, retain_all=True)
    except RoadGraphError:
        raise
    except Exception as exc:  # parse errors of all kinds: report them as a setup error
        raise RoadGraphError(f"Cannot parse road graph file {path}: {type(exc).__name__}: {exc}") from exc
    raise RoadGraphError(
        f"{path} is neither GraphML nor OSM XML (expected '<graphml' or '<osm' near the start; "
        f"gzip and bz2 compression are accepted)"
    )

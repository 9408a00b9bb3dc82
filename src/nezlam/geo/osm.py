"""Reading OpenStreetMap files (.osm.pbf, .osm, .osm.bz2) with pyosmium: the one module that does.

The address gazetteer (`nezlam.places`) reads with it, and so should the street network: call
`objects()` with the entity types, the C++-side filters (`osmium.filter.KeyFilter("highway")`) and
a progress callback, and consume each object inside the loop. pyosmium hands out views into its
buffers, valid only until the iteration moves on: copy what you need (tags, ids, locations) at
once. Positions are (lat, lon) in degrees WGS84.

Progress is measured in bytes of the file. A PBF file is a header blob followed by data blobs
(about 8,000 objects each); `objects()` reads it a few megabytes of whole blobs at a time, every
chunk behind a copy of the header, so that it knows how far it is. The node-location store is
shared between chunks, so ways still see every node read before them.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import osmium
import osmium.io

ProgressCallback = Callable[[int, int], None]
"""Called with (bytes done, bytes in the file)."""

CHUNK_BYTES = 8 << 20


@dataclass(frozen=True)
class Blob:
    kind: str  # "OSMHeader" or "OSMData"
    offset: int  # byte offset of the blob's length prefix in the file
    size: int  # bytes, length prefix and header included


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, at


def _blob_header(data: bytes) -> tuple[str, int]:
    """(type, data size) from a PBF BlobHeader message: fields 1 (string) and 3 (int32)."""
    at, kind, size = 0, "", -1
    while at < len(data):
        key, at = _varint(data, at)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, at = _varint(data, at)
            if field == 3:
                size = value
        elif wire == 2:
            length, at = _varint(data, at)
            if field == 1:
                kind = data[at : at + length].decode("ascii", "replace")
            at += length
        else:
            raise ValueError(f"unexpected protobuf wire type {wire} in a PBF blob header")
    if size < 0:
        raise ValueError("PBF blob header without a data size")
    return kind, size


def pbf_blobs(path: str | Path) -> list[Blob]:
    """The blobs of a PBF file, from their headers only (cheap: seeks over the data)."""
    blobs: list[Blob] = []
    with open(path, "rb") as file:
        offset = 0
        while prefix := file.read(4):
            if len(prefix) < 4:
                raise ValueError(f"{path}: truncated PBF file")
            (header_size,) = struct.unpack(">I", prefix)
            if header_size > 64 * 1024:
                raise ValueError(f"{path}: not a PBF file (blob header of {header_size} bytes)")
            kind, data_size = _blob_header(file.read(header_size))
            size = 4 + header_size + data_size
            blobs.append(Blob(kind, offset, size))
            file.seek(data_size, 1)
            offset += size
    if not blobs or blobs[0].kind != "OSMHeader":
        raise ValueError(f"{path}: not a PBF file (no OSMHeader blob first)")
    return blobs


def _chunks(blobs: list[Blob], chunk_bytes: int) -> Iterator[list[Blob]]:
    chunk: list[Blob] = []
    for blob in blobs:
        if blob.kind != "OSMData":
            continue
        chunk.append(blob)
        if sum(b.size for b in chunk) >= chunk_bytes:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def is_pbf(path: str | Path) -> bool:
    return str(path).lower().endswith(".pbf")


def objects(
    path: str | Path,
    *,
    entities: Any = osmium.osm.ALL,
    locations: bool = True,
    filters: Iterable[Any] = (),
    progress: ProgressCallback | None = None,
    chunk_bytes: int = CHUNK_BYTES,
    location_store: str = "flex_mem",
) -> Iterator[Any]:
    """Every object of the file that passes `filters`, nodes first, then ways, then relations.

    With `locations`, ways carry their nodes' positions (`node.location`); the store keeps every
    node position, filtered or not. Use "dense_file_array,PATH" as `location_store` for a whole
    country: "flex_mem" keeps positions in memory."""
    filters = list(filters)
    total = Path(path).stat().st_size
    if progress:
        progress(0, total)
    store = osmium.index.create_map(location_store) if locations else None
    read = partial(
        _processor, entities=entities, store=store, pool=osmium.io.ThreadPool(), filters=filters
    )
    if not is_pbf(path):
        yield from read(str(path))
        if progress:
            progress(total, total)
        return
    yield from _pbf_objects(path, total, read, chunk_bytes, progress)


def _processor(
    source: Any,
    *,
    entities: Any,
    store: osmium.index.LocationTable | None,
    pool: osmium.io.ThreadPool,
    filters: list[Any],
) -> osmium.FileProcessor:
    """A reader of `source` (a file name or a buffer) for `objects`: the entity types, the one
    node-location store and thread pool of the whole file, and the filters."""
    reader = osmium.FileProcessor(source, entities, thread_pool=pool)
    if store is not None:
        # pyosmium takes a LocationTable here too; its annotation says only a name (str).
        reader.with_locations(store)  # type: ignore[arg-type]
    for item in filters:
        reader.with_filter(item)
    return reader


def _pbf_objects(
    path: str | Path,
    total: int,
    read: Callable[[Any], osmium.FileProcessor],
    chunk_bytes: int,
    progress: ProgressCallback | None,
) -> Iterator[Any]:
    """The objects of a PBF file of `total` bytes, read a few megabytes of whole blobs at a
    time, each chunk behind a copy of the header; progress after each chunk (see the module
    doc)."""
    blobs = pbf_blobs(path)
    with open(path, "rb") as file:
        header = file.read(blobs[0].size)
        done = blobs[0].size
        for chunk in _chunks(blobs, chunk_bytes):
            file.seek(chunk[0].offset)
            size = sum(blob.size for blob in chunk)
            yield from read(osmium.io.FileBuffer(header + file.read(size), "pbf"))
            done += size
            if progress:
                progress(done, total)
    if progress and done != total:
        progress(total, total)


def relation_way_members(path: str | Path, *filters: Any) -> dict[int, list[int]]:
    """{relation id: its member way ids} for the relations that pass `filters`: a cheap first pass
    (nodes and ways are not decoded) for whoever must assemble relations from their ways."""
    members: dict[int, list[int]] = {}
    reader = osmium.FileProcessor(str(path), osmium.osm.RELATION)
    for item in filters:
        reader.with_filter(item)
    for relation in reader:
        if isinstance(relation, osmium.osm.Relation):  # all it reads (osmium.osm.RELATION)
            members[relation.id] = [m.ref for m in relation.members if m.type == "w"]
    return members


def way_positions(way: Any) -> list[tuple[float, float]]:
    """(lat, lon) of a way's nodes whose positions are known, in order."""
    positions = []
    for node in way.nodes:
        location = node.location
        if location.valid():
            positions.append((location.lat, location.lon))
    return positions


def centroid(positions: list[tuple[float, float]]) -> tuple[float, float] | None:
    """The mean of positions (a closed ring's repeated last node left out): near enough to a
    building's centre for an address, and always inside small convex shapes."""
    if len(positions) > 1 and positions[0] == positions[-1]:
        positions = positions[:-1]
    if not positions:
        return None
    lat = sum(p[0] for p in positions) / len(positions)
    lon = sum(p[1] for p in positions) / len(positions)
    return lat, lon


def middle(positions: list[tuple[float, float]]) -> tuple[float, float] | None:
    """The middle node of a line: a position on a street that is really on the street."""
    return positions[len(positions) // 2] if positions else None


def pick_tags(tags: Any, keys: Iterable[str]) -> dict[str, str]:
    """The given keys of an object's tags, where present and not empty."""
    picked = {}
    for key in keys:
        value = tags.get(key)
        if value:
            picked[key] = value
    return picked


def tag_dict(tags: Any) -> Mapping[str, str]:
    """All tags as a plain dict (copied: valid after the iteration moves on)."""
    return {tag.k: tag.v for tag in tags}

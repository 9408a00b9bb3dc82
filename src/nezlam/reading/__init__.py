"""The read side: what leaves the server about points, for anyone who asks.

- `protection`: what hides a protected point (its address, its position, exact distances) —
  the one place that decides it;
- `point_public`: `PointPublic`, the typed view of one point for one asker (language, moment,
  distance), built from a `domain.point_view.PointView`;
- `features`: that view as GeoJSON, readable (dicts) and on the hot path (bytes), and what a
  point's operators and coordinators see besides;
- `answers`: the answer to "the nearest k for this asker" (by the index or on foot) and to a
  listing, with the envelope every such answer carries.

It imports `domain`, `store` and `geo`; `web`, the commands, the poster and the exports
import it, never the other way round (tests/test_import_graph.py).
"""

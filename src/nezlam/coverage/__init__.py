"""Who lives within a walk of an open point: population sources, walking coverage, maps.

- `population`: one demand table (lat, lon, population, cell, label) from a Kontur Population
  H3 GeoPackage, a CSV of lon, lat, population, or an estimate from OSM building footprints.
- `districts`: a district label for every demand row, from OSM administrative boundaries or
  from the nearest point's locality/region.
- `walk`: walking minutes from every demand row to the nearest open point, shares of
  population within each threshold, overall and per district, and the GeoJSON layers.
- `maps`: the PNG map coloured by walking minutes.
- `cli`: `nezlam coverage`.
"""

"""Address search for residents: a gazetteer of addresses, streets and places read from
OpenStreetMap (`osm_import`), stored a source at a time (`store`), searched in memory by prefix and
with typos, in Cyrillic and in Latin (`gazetteer`, `search`)."""

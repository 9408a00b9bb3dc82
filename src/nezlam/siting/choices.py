"""What `nezlam site` lets one choose, in a module of its own without numpy: the command line
shows these in its help, which should not have to load the solvers to do so."""

OBJECTIVES = ("mclp", "pmedian")  # maximal covering, or the shortest walks for everyone
METHODS = ("auto", "greedy", "exact")
# Buildings that are public, heated and known to everyone: where points are usually opened.
OSM_CANDIDATES = (
    ("amenity", "school"), ("amenity", "library"), ("amenity", "community_centre"),
    ("amenity", "townhall"), ("amenity", "social_facility"), ("amenity", "kindergarten"),
    ("amenity", "college"), ("amenity", "university"), ("amenity", "fire_station"),
)  # fmt: skip

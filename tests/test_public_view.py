"""The hot path's byte renderer says exactly what the readable one says."""

import json

import pytest

from nezlam.domain.vocabulary import ShownStatus
from nezlam.reading.features import feature, feature_json
from nezlam.reading.point_public import Asker, found_public
from tests.test_spatial_index import NOW, view


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"visibility": "locality_only"},
        {"demo": True, "notes": {"uk": "Чай", "en": "Tea"}},
        {"status": None, "updated_at": None, "verified_at": None, "occupancy": None},
        {"name": {"uk": 'Пункт "лапки"', "en": "Quote \\ point"}, "phone": "+380 44 1"},
    ],
)
@pytest.mark.parametrize("lang", ["uk", "en"])
@pytest.mark.parametrize("distance", [None, 1234.56])
def test_feature_json_matches_the_readable_rendering(extra, lang, distance):
    point = view("p1", 50.4501, 30.5234, **extra)
    for shown, is_open in ((ShownStatus.OPEN, True), (ShownStatus.UNCONFIRMED, None)):
        public = found_public(point, Asker(lang, NOW), shown, is_open, distance)
        readable = feature(public)
        fast = feature_json(public)
        assert json.loads(fast) == readable
        assert list(json.loads(fast)["properties"]) == list(readable["properties"])  # same order

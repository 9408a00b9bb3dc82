"""The finder can go on a home screen (review R16), and the pieces the offline copy needs are
served: the web manifest names PNG icons that exist at their stated sizes (one maskable),
/favicon.ico answers with an icon instead of a 404, every page links them and its offline
script, and the page for "not saved for offline" is there for the service worker to keep."""

import html
import io
import json
import re

from PIL import Image

PAGE = {"Accept": "text/html"}


def test_the_manifest_names_icons_that_exist_at_their_sizes(client):
    manifest = client.get("/static/manifest.webmanifest")
    assert manifest.status_code == 200
    icons = json.loads(manifest.content)["icons"]
    assert {"192x192", "512x512"} <= {icon["sizes"] for icon in icons}
    assert any(icon["purpose"] == "maskable" for icon in icons)
    for icon in icons:
        answer = client.get(icon["src"])
        assert answer.status_code == 200, icon
        image = Image.open(io.BytesIO(answer.content))
        assert image.format == "PNG" and "x".join(map(str, image.size)) == icon["sizes"], icon


def test_the_favicon_is_an_icon_not_a_404(client):
    answer = client.get("/favicon.ico")
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/x-icon"
    assert Image.open(io.BytesIO(answer.content)).format == "ICO"


def test_every_page_links_the_icons_and_the_offline_script(client):
    page = client.get("/", headers=PAGE).text
    assert '<link rel="manifest" href="/static/manifest.webmanifest">' in page
    assert 'rel="icon" href="/favicon.ico"' in page and 'rel="apple-touch-icon"' in page
    assert re.search(r'<script src="/static/freshness\.js\?v=\w+" defer></script>', page)
    words = re.search(r'<script type="application/json" id="freshness-words">(.*?)</script>', page)
    assert words and json.loads(words[1])["stale_after"] == 6 * 3600
    assert client.get("/static/freshness.js").status_code == 200


def test_the_not_saved_page_is_served_for_the_worker_to_keep(client):
    page = client.get("/offline", headers=PAGE)
    assert page.status_code == 200
    assert "Цю сторінку не збережено для перегляду без зв'язку" in html.unescape(page.text)
    worker = client.get("/sw.js").text
    assert '"/offline"' in worker and "NETWORK_WAIT_MS = 3000" in worker

"""Is a form post from one of this site's own pages? For the forms that have no session to carry
a token: signing in (a forged sign-in puts the victim in the attacker's account) and the
visitor buttons on a point's page (any site residents visit could flag points).

Browsers say where a request comes from. `Sec-Fetch-Site` (every current browser) is trusted
first: `same-origin`, or `none` for a request the person made themselves. Without it, `Origin`
must be this site's: the Host the request was sent to (either scheme: the proxy in front may
end TLS), or NEZLAM_PUBLIC_URL when a proxy changes the Host. A post with neither header does
not come from a browser's page (a browser too old to send either is also let through): what
these checks stop is another site making a visitor's browser post.
"""

from __future__ import annotations

from starlette.requests import Request

from nezlam.domain.errors import Forbidden

TRUSTED_FETCH_SITES = ("same-origin", "none")


def is_cross_site(request: Request, public_url: str | None) -> bool:
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site.lower() not in TRUSTED_FETCH_SITES
    origin = request.headers.get("origin")
    if origin is None:
        return False
    return origin.lower() not in own_origins(request, public_url)


def own_origins(request: Request, public_url: str | None) -> set[str]:
    host = request.headers.get("host", "").lower()
    origins = {f"http://{host}", f"https://{host}"} if host else set()
    if public_url:
        origins.add(public_url)
    return origins


def refuse_cross_site(request: Request, public_url: str | None) -> None:
    """Forbidden (403, a page for a browser) for a post from another site's page."""
    if is_cross_site(request, public_url):
        raise Forbidden(
            "this form was sent from another site; use the form on this site's own page",
            field="Origin",
        )

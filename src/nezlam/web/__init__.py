"""The web app: `app.py` builds it; every other module lives in one of four rooms.

- `api/`: the JSON API under /api/v1 (points, feeds, accounts, places) and /healthz.
- `pages/`: the HTML pages, one router per screen: the resident's finder and point pages
  (`finder`), the operator's workspace, the coordinator's dashboard (`coordinate*`), calls,
  needs, inspections, applications, onboarding (/apply), people, coverage, offline; with the
  helpers only a screen uses beside it (`finder_query`, `operate_forms`, `apply_places`, …).
- `plumbing/`: what every route shares: the worker's state, who is asking (`deps`, `session`),
  the page renderer (`render`), forms, languages (`i18n`), errors, body limits, headers
  (`hygiene`), same-origin checks, rate limits, the OpenAPI refusals and the nearest-query
  fast path in front of the framework.
- `words/`: how things are said on a page, in the page's language (statuses, hours, needs, the
  coordinator's history, the offline copy's words).

Templates, static files and message catalogs stay beside them in `templates/`, `static/` and
`locales/`.
"""

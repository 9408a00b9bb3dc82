"""The organisations an import names, by slug or by name (an export names them; a person may
type either). An organisation the database lacks is a problem that says what to do, or, with
`create` (`--create-organisations`), is created in the import's own transaction: kind "other",
a slug from its transliterated name, audited like any other."""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy.orm import Session

from nezlam.store import point_import
from nezlam.store.actor import Actor

PLANNED_ID = -1  # a dry run's organisation that would be created: differs from any real id
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slug_from(name: str, taken: set[str]) -> str:
    from nezlam.domain.transliteration import transliterate

    base = _NOT_SLUG.sub("-", transliterate(name).casefold()).strip("-")[:56] or "organisation"
    base = base if len(base) >= 2 else f"{base}-org"
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


class Organisations:
    def __init__(self, session: Session, create: bool, writing: Callable[[], bool]) -> None:
        self.session, self.create, self.writing = session, create, writing
        known = point_import.organisation_slugs(session)
        self.ids = {slug: organisation_id for slug, (organisation_id, _name) in known.items()}
        self.slugs = {name.casefold(): slug for slug, (_id, name) in known.items()}
        self.slugs.update({slug.casefold(): slug for slug in known})
        self.created: list[str] = []

    def slug_for(self, name: str) -> tuple[str | None, str | None]:
        """(slug, None), or (None, the problem) for an organisation the database lacks."""
        slug = self.slugs.get(name.casefold())
        if slug is not None:
            return slug, None
        if not self.create:
            return None, (
                f"no organisation with slug or name {name!r}: create it first, or give "
                "--create-organisations to create the ones an import names"
            )
        slug = slug_from(name, set(self.ids))
        self.ids[slug] = self._add(slug, name) if self.writing() else PLANNED_ID
        self.slugs[name.casefold()] = self.slugs[slug] = slug
        self.created.append(name)
        return slug, None

    def _add(self, slug: str, name: str) -> int:
        from nezlam.domain.points import OrganisationCreate
        from nezlam.domain.vocabulary import OrganisationKind
        from nezlam.store.accounts import create_organisation  # its password hasher is large

        data = OrganisationCreate(slug=slug, name=name[:200], kind=OrganisationKind.OTHER)
        return int(create_organisation(self.session, data, Actor("import")).id)

    def id_of(self, slug: str | None) -> int | None:
        return None if slug is None else self.ids.get(slug)

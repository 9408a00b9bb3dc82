"""Transliteration is a rule of the domain (`nezlam.domain.transliteration`), which the store,
the import and the gazetteer share; importable from here for the modules that still do."""

from nezlam.domain.transliteration import fold, skeleton, transliterate

__all__ = ["fold", "skeleton", "transliterate"]

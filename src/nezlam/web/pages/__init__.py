"""The HTML pages: one router per screen, with the helpers only that screen uses beside it."""

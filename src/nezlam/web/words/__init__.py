"""How things are said on a page, in the page's language: statuses, hours, needs, history."""

"""`python -m nezlam.commands`: the `nezlam` command run by this interpreter."""

from nezlam.commands import app

app()

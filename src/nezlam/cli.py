"""The `nezlam` command now lives in `nezlam.commands`; this name stays for `python -m
nezlam.cli` and `from nezlam.cli import app` in the tests and benchmarks that use it."""

from nezlam.commands import app

if __name__ == "__main__":
    app()

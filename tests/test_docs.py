"""The README says what the code does (datasette's test_docs.py habit): the settings table lists
exactly the settings the code reads, with the defaults the code has and the ranges it enforces,
and every command and option the README shows exists in `nezlam --help`, and every command has
a help text of its own.
"""

from __future__ import annotations

import inspect
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer.main

from nezlam import config
from nezlam.cli import app
from nezlam.config import ConfigError, Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
ROW = re.compile(r"^\| (`NEZLAM_[^|]+) \| ([^|]+) \| (.+) \|$", re.MULTILINE)


def settings_table() -> dict[str, tuple[str, str]]:
    """{variable: (default as written, description)} from the README's settings table; a row
    naming two variables ("`A`, `B` | `x`, `y`") gives each its own default."""
    rows: dict[str, tuple[str, str]] = {}
    for names, defaults, text in ROW.findall(README):
        names_list = re.findall(r"`(NEZLAM_\w+)`", names)
        values = [part.strip() for part in defaults.split(",")] if len(names_list) > 1 else []
        for n, name in enumerate(names_list):
            rows[name] = (values[n] if values else defaults.strip(), text)
    return rows


def read_by_settings() -> set[str]:
    """The variables Settings.from_env reads, itself or through the readers of a group of
    settings it calls (sessions_from_env, sms_from_env, telegram_from_env)."""
    groups = (config.sessions_from_env, config.sms_from_env, config.telegram_from_env)
    readers = (config.Settings.from_env, *groups)
    source = "".join(inspect.getsource(reader) for reader in readers)
    return set(re.findall(r'"(NEZLAM_\w+)"', source))


@pytest.fixture
def clean_env(monkeypatch):
    for name in list(__import__("os").environ):
        if name.startswith("NEZLAM_"):
            monkeypatch.delenv(name)
    return monkeypatch


def test_the_settings_table_lists_exactly_what_the_settings_read():
    table = set(settings_table())
    assert len(table) > 20
    assert table == read_by_settings()


def literal_defaults() -> list[tuple[str, str]]:
    """The rows whose default is written as a literal value (`6h`, `8000`), not in words."""
    found = []
    for name, (default, _text) in sorted(settings_table().items()):
        literal = re.fullmatch(r"`([^`]+)`", default)
        if literal:
            found.append((name, literal.group(1)))
    return found


@pytest.mark.parametrize(("name", "default"), literal_defaults())
def test_each_documented_default_is_the_default(clean_env, name, default):
    """Setting a variable to what the README calls its default changes nothing."""
    unset = Settings.from_env()
    clean_env.setenv(name, default)
    assert Settings.from_env() == unset


def documented_ranges() -> list[tuple[str, float, float]]:
    """Rows whose description gives a plain numeric range, "(1–1,000)" or "(…; 1–100,000)"."""
    found = []
    for name, (_default, text) in sorted(settings_table().items()):
        match = re.search(r"(\d[\d,.]*)–(\d[\d,.]*)\)", text)
        if match and name != "NEZLAM_HOST":  # the row's "(a port 1–65535)" is NEZLAM_PORT's
            low, high = (float(part.replace(",", "")) for part in match.groups())
            found.append((name, low, high))
    return found


def spelled(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


@pytest.mark.parametrize(("name", "low", "high"), documented_ranges())
def test_each_documented_range_is_the_range_the_code_enforces(clean_env, name, low, high):
    step = 1 if low == int(low) and high == int(high) else 0.1
    for good in (low, high):
        clean_env.setenv(name, spelled(good))
        Settings.from_env()
    for bad in (low - step, high + step):
        clean_env.setenv(name, spelled(round(bad, 3)))
        with pytest.raises(ConfigError, match=name):
            Settings.from_env()


def test_the_ranges_above_are_found():
    names = {name for name, _low, _high in documented_ranges()}
    assert {"NEZLAM_PORT", "NEZLAM_LOW_FUEL_LITRES", "NEZLAM_WALKING_SNAP_M"} <= names


ROOT = typer.main.get_command(app)


def command_lines() -> list[list[str]]:
    """Each `nezlam …` line of the README's shell blocks, as words (comments dropped)."""
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", README, re.DOTALL):
        for line in block.splitlines():
            line = re.sub(r"^(\.venv/bin/)?", "", line.strip())
            if not line.startswith("nezlam "):
                continue
            words = shlex.split(line.split("  #")[0].replace("[", " ").replace("]", " "))
            lines.append(words[1:])
    return lines


def subcommands(command: Any) -> dict[str, Any]:
    """A group's commands by name ({} for a command); Typer's Click is its own copy, so this
    goes by what a group has rather than by its class."""
    return dict(getattr(command, "commands", {}))


def resolve(words: list[str]) -> tuple[Any, list[str]]:
    """The command the words name, and the options written after it."""
    command = ROOT
    rest = list(words)
    while subcommands(command) and rest and not rest[0].startswith("-"):
        found = subcommands(command).get(rest[0])
        assert found is not None, f"`nezlam {' '.join(words)}`: no command {rest[0]!r}"
        command, rest = found, rest[1:]
    return command, [word.split("=")[0] for word in rest if word.startswith("-")]


def test_the_readme_shows_commands():
    assert len(command_lines()) > 15


@pytest.mark.parametrize("words", command_lines(), ids=" ".join)
def test_every_command_and_option_the_readme_shows_exists(words):
    command, options = resolve(words)
    known = {opt for param in command.params for opt in [*param.opts, *param.secondary_opts]}
    known.add("--help")
    assert [option for option in options if option not in known] == []


def all_commands(command: Any, path: str = "nezlam") -> list[tuple[str, Any]]:
    found = [(path, command)]
    for name, sub in sorted(subcommands(command).items()):
        found += all_commands(sub, f"{path} {name}")
    return found


def test_every_command_and_option_says_what_it_does():
    silent = [path for path, command in all_commands(ROOT) if not (command.help or "").strip()]
    assert silent == []
    undocumented = [
        f"{path} {param.opts[0]}"
        for path, command in all_commands(ROOT)
        for param in command.params
        if param.param_type_name == "option" and not (getattr(param, "help", None) or "").strip()
    ]
    assert undocumented == []

"""Every long option of the imgflow command is a keyword of imgflow.run() with
the same name ("-" written "_"), in the module and in its .pyi stub."""
import re
from pathlib import Path

import pytest

import imgflow

STUB = Path(__file__).resolve().parents[1] / "imgflow.pyi"
# Options of the command that are not keywords: what the command prints about
# itself.
NOT_KEYWORDS = {"help", "version"}


def help_options(cli):
    text = cli("--help").stdout
    return {m.replace("-", "_") for m in re.findall(r"--([a-z][a-z0-9-]*)", text)} - NOT_KEYWORDS


def stub_run_keywords():
    block = STUB.read_text().split("def run(", 1)[1].split(") ->", 1)[0]
    return set(re.findall(r"^\s+([a-z_]+):", block, re.M))


def test_every_long_option_is_in_the_stub(cli):
    missing = help_options(cli) - stub_run_keywords()
    assert not missing, f"options of imgflow --help missing from imgflow.pyi's run(): {missing}"


def test_every_long_option_is_accepted(cli, tmp_path):
    # An unknown keyword raises TypeError; a known one with a wrong value
    # raises imgflow.Error (usage) or TypeError naming a value, never "unexpected keyword".
    for name in sorted(help_options(cli)):
        with pytest.raises((imgflow.Error, TypeError, ValueError)) as caught:
            imgflow.run(str(tmp_path / "missing"), str(tmp_path / "out"), **{name: object()})
        assert "unexpected keyword" not in str(caught.value), name

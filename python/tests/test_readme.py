"""Every example of the README's Python section, run as written: each ```python
block as a script, each `python3 ...` line of its ```sh blocks as a command, in
a folder holding sample_images/. A `# prints: X` comment must match a line of
what the block printed."""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, SAMPLES

README = Path(os.environ.get("IMGFLOW_README", ROOT / "README.md"))


def python_section():
    text = README.read_text()
    start = text.index("\n## Python\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def blocks(language):
    return re.findall(r"^```" + language + r"\n(.*?)^```", python_section(), re.M | re.S)


def python_lines():
    return [line for block in blocks("sh") for line in block.splitlines()
            if line.startswith("python3 ")]


def test_the_section_has_its_examples():
    assert len(blocks("python")) >= 4
    assert len(python_lines()) >= 1


@pytest.mark.parametrize("index", range(len(blocks("python"))))
def test_python_block(index, tmp_path):
    code = blocks("python")[index]
    if "from PIL" in code:
        pytest.importorskip("PIL")
    (tmp_path / "sample_images").symlink_to(SAMPLES)
    (tmp_path / "example.py").write_text(code)
    done = subprocess.run([sys.executable, "example.py"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    printed = done.stdout.splitlines()
    for expected in re.findall(r"# prints: (.*)$", code, re.M):
        assert expected.strip() in printed, (expected, printed)


@pytest.mark.parametrize("line", python_lines())
def test_python_command_line(line, tmp_path):
    (tmp_path / "sample_images").symlink_to(SAMPLES)
    argv = shlex.split(line)
    done = subprocess.run([sys.executable, *argv[1:]], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "'total': 4, 'ok': 4, 'failed': 0" in done.stdout, done.stdout
    assert len(list((tmp_path / "out").iterdir())) == 4

"""`cmake --install` puts the module where the python3 running these tests
looks, and it loads from there with the installed libimgflow (into a DESTDIR,
so nothing outside the test's folder is touched)."""

import os
import subprocess
import sys
from pathlib import Path

from conftest import SAMPLES


def test_cmake_install_puts_the_module_where_python3_looks(tmp_path):
    target = os.environ["IMGFLOW_PYTHON_INSTALL_PATH"]  # <prefix>/lib/python3.X/dist-packages
    assert target in sys.path, f"{target} is not on {sys.executable}'s path"
    env = {**os.environ, "DESTDIR": str(tmp_path / "root")}
    done = subprocess.run([os.environ["IMGFLOW_CMAKE"], "--install", os.environ["IMGFLOW_BUILD_DIR"]],
                          env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    installed = tmp_path / "root" / target.lstrip("/")
    assert (installed / "imgflow.pyi").is_file()
    (tmp_path / "sample_images").symlink_to(SAMPLES)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(installed)
    code = ("import imgflow; print(imgflow.__file__); "
            "print(imgflow.run('sample_images', 'out', size='100x100')['summary']); "
            "print(next(l.split()[-1] for l in open('/proc/self/maps') if 'libimgflow.so' in l))")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    module_file, summary, library = done.stdout.splitlines()
    assert Path(module_file).parent == installed
    assert "'total': 4, 'ok': 4, 'failed': 0" in summary
    # The module found the installed libimgflow (its RUNPATH), not the build tree's.
    assert Path(library).is_relative_to(tmp_path / "root"), library

"""The README's Dask recipe ("Many machines" > "Dask"), against a real
dask.distributed LocalCluster of 2 worker processes over real photos: the
block run as written (its scheduler address and /data mapped here), then its
run_on_dask() with a worker killed part-way through a shard and a task that
raises once. Every input is written exactly once, and the merged report is
complete and all ok. Run by the ctest `python_dask`."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import imgflow
from conftest import PHOTOS, ROOT

distributed = pytest.importorskip("distributed")  # Debian: python3-distributed

README = Path(os.environ.get("IMGFLOW_README", ROOT / "README.md"))
ADDRESS = "tcp://scheduler:8786"  # the block's scheduler


def dask_block():
    text = README.read_text()
    start = text.index("\n### Dask\n")
    end = text.index("\n## ", start)
    blocks = re.findall(r"^```python\n(.*?)^```", text[start:end], re.M | re.S)
    assert len(blocks) == 1, "the Dask section should have one ```python block"
    assert ADDRESS in blocks[0]
    return blocks[0]


def run_on_dask():
    """The block's run_on_dask(), defined as the block defines it."""
    namespace = {"__name__": "readme_dask"}  # not "__main__": its client is not made
    exec(compile(dask_block(), "README.md (Dask)", "exec"), namespace)
    return namespace["run_on_dask"]


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=":0") as cluster:
        with distributed.Client(cluster) as c:
            yield c


def make_photos(folder, count):
    """`count` real JPEG photos, a third of them in a subfolder."""
    for i in range(count):
        where = folder / "sub" if i % 3 == 0 else folder
        where.mkdir(parents=True, exist_ok=True)
        shutil.copy(PHOTOS[i % len(PHOTOS)], where / f"p{i:02d}.jpg")
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.jpg"))


def final_outputs(folder):
    """The outputs under `folder` (relative paths), each checked to be a whole
    image; a killed run may leave hidden temporaries, nothing else."""
    outputs = []
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        if path.name.startswith("."):
            assert re.fullmatch(r"\..+\.imgflow-[A-Za-z0-9]{6}", path.name), path
            continue
        height, width = imgflow.decode(path.read_bytes()).shape[:2]
        assert max(width, height) <= 800, path
        outputs.append(path.relative_to(folder).as_posix())
    return sorted(outputs)


def test_the_block_as_written(client, tmp_path):
    inputs = make_photos(tmp_path / "data" / "photos", 12)
    code = dask_block().replace(ADDRESS, client.scheduler.address)
    code = code.replace('"/data/', f'"{tmp_path}/data/')
    (tmp_path / "example.py").write_text(code)
    # The module this test imports, whatever PYTHONPATH said relative to here.
    path = os.pathsep.join([str(Path(imgflow.__file__).parent), os.environ.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, "example.py"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, env=dict(os.environ, PYTHONPATH=path))
    assert done.returncode == 0, done.stderr
    for expected in re.findall(r"# prints: (.*)$", code, re.M):
        assert expected.strip() in done.stdout.splitlines(), (expected, done.stdout)
    assert final_outputs(tmp_path / "data" / "thumbs") == inputs


def test_a_killed_worker_and_a_raising_task_are_run_again(client, tmp_path):
    inputs = make_photos(tmp_path / "photos", 16)
    killed, raised = tmp_path / "killed", tmp_path / "raised"

    def fault_once(entry):
        # The first file any task finishes: its worker process dies there, as a
        # killed or out-of-memory worker does. The next one: its task raises.
        for marker, fault in ((killed, "kill"), (raised, "raise")):
            try:
                fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                continue
            os.write(fd, entry["input"].encode())
            os.close(fd)
            if fault == "kill":
                os._exit(1)
            raise RuntimeError("a fault injected by the test")

    report = run_on_dask()(client, tmp_path / "photos", tmp_path / "thumbs", shards=4,
                           recursive=True, size="400x400", on_file=fault_once)
    assert killed.exists() and raised.exists(), "the faults were not injected"
    assert report["merge"]["complete"] is True, report["merge"]
    assert report["merge"]["all_ok"] is True, report["merge"]
    assert report["merge"]["shards_present"] == [1, 2, 3, 4]
    assert final_outputs(tmp_path / "thumbs") == inputs  # each input once
    by_input = {f["input"]: f for f in report["files"]}
    assert len(by_input) == len(inputs) == report["summary"]["total"]
    # Written before its task died or raised; the rerun found it up to date
    # and did not write it again.
    for marker in (killed, raised):
        entry = by_input[marker.read_text()]
        assert entry["status"] == "skipped" and "error" not in entry, entry
    summary = report["summary"]
    assert summary["failed"] == 0
    assert summary["ok"] + summary["skipped"] == len(inputs)
    assert summary["skipped"] >= 2

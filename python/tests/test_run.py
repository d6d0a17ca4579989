"""imgflow.run(): the batch pipeline, its report, its options and errors."""

import json
import shutil
import threading

import pytest

import imgflow
from conftest import PHOTOS, SAMPLES


def test_version():
    assert imgflow.__version__ == "0.1.0"


def test_sizes_and_report_match_the_command(tmp_path, cli):
    report = imgflow.run(str(SAMPLES), tmp_path / "py", size="300x200", recursive=True)
    done = cli("-r", "-s", "300x200", "-o", tmp_path / "cli", "--report", tmp_path / "cli.json",
               "--quiet", SAMPLES)
    assert done.returncode == 0, done.stderr
    expected = json.loads((tmp_path / "cli.json").read_text())

    assert report["summary"]["total"] == 10
    assert report["summary"]["ok"] == 10
    assert report.keys() == expected.keys()
    assert report["summary"].keys() == expected["summary"].keys()
    assert [f["input"] for f in report["files"]] == [f["input"] for f in expected["files"]]
    for mine, theirs in zip(report["files"], expected["files"]):
        assert mine.keys() == theirs.keys()
        assert mine["source"] == theirs["source"]
        sizes = [(o["width"], o["height"]) for o in mine["outputs"]]
        assert sizes == [(o["width"], o["height"]) for o in theirs["outputs"]]
    kite = next(f for f in report["files"] if f["input"].endswith("kite.jpg"))
    assert (kite["outputs"][0]["width"], kite["outputs"][0]["height"]) == (300, 188)
    # The same pipeline writes the same bytes.
    assert (tmp_path / "py" / "kite.jpg").read_bytes() == (tmp_path / "cli" / "kite.jpg").read_bytes()


def test_default_size_is_800x800(tmp_path):
    report = imgflow.run(PHOTOS[0], tmp_path)
    out = report["files"][0]["outputs"][0]
    assert max(out["width"], out["height"]) == 800


def test_several_sizes_and_formats(tmp_path):
    report = imgflow.run([PHOTOS[0]], tmp_path, size=["200x200", 100], format=["png", "webp"])
    outputs = report["files"][0]["outputs"]
    assert sorted((o["path"].rsplit("/", 1)[1], o["width"]) for o in outputs) == [
        ("cold_ripple_100.png", 100), ("cold_ripple_100.webp", 100),
        ("cold_ripple_200x200.png", 200), ("cold_ripple_200x200.webp", 200)]


def test_report_file_is_the_returned_report(tmp_path):
    report = imgflow.run(str(SAMPLES), tmp_path / "out", size="64x64",
                         report=str(tmp_path / "r.json"))
    assert json.loads((tmp_path / "r.json").read_text()) == report


def test_a_broken_file_is_reported_not_raised(tmp_path):
    batch = tmp_path / "batch"
    batch.mkdir()
    for photo in PHOTOS:
        shutil.copy(photo, batch / photo.name)
    data = PHOTOS[0].read_bytes()
    (batch / "truncated.jpg").write_bytes(data[: len(data) // 3])
    (batch / "notes.jpg").write_bytes(b"not an image at all")
    report = imgflow.run(batch, tmp_path / "out", size="100x100")
    summary = report["summary"]
    assert (summary["total"], summary["ok"], summary["failed"]) == (len(PHOTOS) + 2, len(PHOTOS), 2)
    errors = {f["input"].rsplit("/", 1)[1]: f["error"]["code"] for f in report["files"]
              if f["status"] == "failed"}
    assert errors == {"truncated.jpg": "truncated-input", "notes.jpg": "unknown-format"}
    assert len(list((tmp_path / "out").iterdir())) == len(PHOTOS)


def test_bad_options_raise_usage_before_anything_is_done(tmp_path):
    out = tmp_path / "never"
    for options in [{"quality": 0}, {"size": "abc"}, {"fit": "squash"}, {"quality": "high"},
                    {"shard": (3, 2)}, {"threads": True}, {"format": ["jpeg", "gif"]},
                    {"max_memory": "lots"}]:
        with pytest.raises(imgflow.Error) as raised:
            imgflow.run(PHOTOS[0], out, **options)
        assert raised.value.code == "usage", options
        assert str(raised.value).startswith(next(iter(options)) + ":"), str(raised.value)
    assert not out.exists()


def test_unknown_keyword_raises_type_error(tmp_path):
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        imgflow.run(PHOTOS[0], tmp_path, colour="red")


def test_shard_as_a_pair(tmp_path):
    halves = [imgflow.run(SAMPLES, tmp_path / f"s{k}", recursive=True, size=32, shard=(k, 2))
              for k in (1, 2)]
    inputs = [f["input"] for half in halves for f in half["files"]]
    assert sorted(inputs) == sorted(set(inputs)) and len(inputs) == 10


def test_on_file_is_called_in_the_calling_thread(tmp_path):
    seen = []
    report = imgflow.run(SAMPLES, tmp_path, size=50, recursive=True,
                         on_file=lambda entry: seen.append((entry, threading.get_ident())))
    assert len(seen) == 10
    assert {ident for _, ident in seen} == {threading.get_ident()}
    assert sorted(e["input"] for e, _ in seen) == sorted(f["input"] for f in report["files"])


def test_an_exception_in_on_file_stops_the_run(tmp_path, corpus):
    folder = corpus(20)

    def fail(entry):
        raise ValueError("stop here")

    with pytest.raises(ValueError, match="stop here"):
        imgflow.run(folder, tmp_path / "out", size=64, threads=1, on_file=fail)
    assert len(list((tmp_path / "out").iterdir())) < 20


def test_setup_error_has_its_code(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(imgflow.Error) as raised:
        imgflow.run(PHOTOS[0], blocker / "out")
    assert raised.value.code == "setup"


def test_log_json_prints_one_line_per_file(tmp_path, capsys):
    report = imgflow.run(SAMPLES, tmp_path, size=40, log_json=True, quiet=True)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sorted(lines, key=lambda e: e["input"]) == sorted(report["files"],
                                                             key=lambda e: e["input"])


def test_dry_run_plans_as_the_command_does_and_writes_nothing(tmp_path, cli):
    out = tmp_path / "out"
    report = imgflow.run(SAMPLES, out, size=["100", "50%"], recursive=True, dry_run=True)
    command = cli("-r", "-s", "100", "-s", "50%", "--dry-run", "-o", out, SAMPLES)
    assert command.returncode == 0, command.stderr
    # The command prints "INPUT -> OUT1, OUT2" per file, in listing order.
    lines = [f["input"] + " -> " + ", ".join(o["path"] for o in f["outputs"])
             for f in report["files"]]
    assert lines == command.stdout.splitlines()
    total = sum(1 for p in SAMPLES.rglob("*") if p.suffix in (".jpg", ".png", ".webp", ".tif"))
    assert report["dry_run"] is True
    assert report["summary"] == {"total": total, "planned": total, "failed": 0}
    assert {f["status"] for f in report["files"]} == {"planned"}
    assert str(out / "kite_100.jpg") in lines[1]
    assert not out.exists()


def test_dry_run_names_an_output_conflict(tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        shutil.copy(PHOTOS[0], tmp_path / folder / "same.jpg")
    # Named files keep only their names: both would write out/same.jpg.
    report = imgflow.run([tmp_path / "a" / "same.jpg", tmp_path / "b" / "same.jpg"],
                         tmp_path / "out", size=40, dry_run=True)
    assert report["summary"] == {"total": 2, "planned": 1, "failed": 1}
    first, second = report["files"]
    assert first["status"] == "planned" and first["outputs"] == [{"path": str(tmp_path / "out" / "same.jpg")}]
    assert second["status"] == "failed" and second["outputs"] == []
    assert second["error"]["code"] == "output-conflict"
    assert not (tmp_path / "out").exists()


def test_dry_run_checks_options_and_belongs_to_run_only(tmp_path):
    with pytest.raises(imgflow.Error) as raised:
        imgflow.run(SAMPLES, tmp_path / "out", quality=0, dry_run=True)
    assert raised.value.code == "usage"
    with pytest.raises(imgflow.Error) as raised:
        imgflow.imap(SAMPLES, tmp_path / "out", dry_run=True)
    assert raised.value.code == "usage" and not (tmp_path / "out").exists()

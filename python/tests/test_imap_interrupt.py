"""imgflow.imap() and stopping a run: breaking out of the loop, Ctrl-C."""

import json
import os
import signal
import threading

import pytest

import imgflow
from conftest import assert_complete_jpegs


def test_imap_yields_every_entry_then_the_report(tmp_path, corpus):
    folder = corpus(6)
    run = imgflow.imap(folder, tmp_path / "out", size="120x120")
    entries = list(run)
    assert len(entries) == 6
    assert all(e["status"] == "ok" for e in entries)
    assert all(max(e["outputs"][0]["width"], e["outputs"][0]["height"]) == 120 for e in entries)
    assert run.report["summary"]["ok"] == 6


def test_imap_checks_options_at_the_call(tmp_path):
    with pytest.raises(imgflow.Error) as raised:
        imgflow.imap(tmp_path, tmp_path / "out", quality=101)
    assert raised.value.code == "usage"


def test_breaking_out_of_imap_cancels_and_leaves_nothing_partial(tmp_path, corpus):
    folder = corpus(30)
    out = tmp_path / "out"
    for entry in imgflow.imap(folder, out, size="400x400", threads=1, max_in_flight=2):
        assert entry["status"] == "ok"
        break
    # The iterator is gone: the run is over, with the files in flight finished.
    written = sorted(p.name for p in out.iterdir())
    assert 1 <= len(written) < 30
    assert_complete_jpegs(out)
    # Nothing is still being written behind our back.
    assert sorted(p.name for p in out.iterdir()) == written


def test_close_stops_the_run_and_gives_the_report(tmp_path, corpus):
    folder = corpus(30)
    with imgflow.imap(folder, tmp_path / "out", size=400, threads=1, max_in_flight=2) as run:
        next(run)
    run.close()
    assert run.report["summary"]["cancelled"] is True
    assert 1 <= run.report["summary"]["ok"] < 30


def test_keyboard_interrupt_finishes_in_flight_writes_report_and_propagates(tmp_path, corpus):
    folder = corpus(30)
    out = tmp_path / "out"
    report_path = tmp_path / "report.json"
    calls = []

    def interrupt_soon(entry):
        calls.append(entry)
        if len(calls) == 1:
            threading.Thread(target=os.kill, args=(os.getpid(), signal.SIGINT)).start()

    with pytest.raises(KeyboardInterrupt):
        imgflow.run(folder, out, size="400x400", threads=1, max_in_flight=2,
                    report=report_path, on_file=interrupt_soon)
    report = json.loads(report_path.read_text())
    summary = report["summary"]
    assert summary["cancelled"] is True
    assert summary["total"] == 30
    assert 1 <= summary["ok"] < 30
    assert summary["skipped"] == 30 - summary["ok"]
    assert {f["error"]["code"] for f in report["files"] if f["status"] == "skipped"} == {"cancelled"}
    assert len(list(out.iterdir())) == summary["ok"]
    assert_complete_jpegs(out)


def test_keyboard_interrupt_during_imap(tmp_path, corpus):
    folder = corpus(30)
    out = tmp_path / "out"
    # Ctrl-C lands in the loop's body or in the wait for the next file; either
    # way leaving the with-block closes the run.
    with pytest.raises(KeyboardInterrupt):
        with imgflow.imap(folder, out, size="400x400", threads=1, max_in_flight=2,
                          report=tmp_path / "report.json") as run:
            for index, entry in enumerate(run):
                if index == 0:
                    os.kill(os.getpid(), signal.SIGINT)
    summary = json.loads((tmp_path / "report.json").read_text())["summary"]
    assert summary["cancelled"] is True and 1 <= summary["ok"] < 30
    assert len(list(out.iterdir())) == summary["ok"]
    assert_complete_jpegs(out)

"""imgflow.merge_reports(): the reports of a job's shards, as paths or as the
dicts run() returns, merged as `imgflow merge-reports` merges them."""

import json

import pytest

import imgflow


def shard_reports(corpus_folder, output, count, tmp_path):
    """Runs every shard of `count`; returns their report dicts (also written to
    tmp_path/reports/K.json)."""
    (tmp_path / "reports").mkdir(exist_ok=True)
    return [imgflow.run(corpus_folder, output, size="64x64", shard=(k, count), quiet=True,
                        report=tmp_path / "reports" / f"{k}.json")
            for k in range(1, count + 1)]


def inputs_of(report):
    return sorted(f["input"] for f in report["files"])


def test_all_shards_as_dicts_and_paths(corpus, tmp_path, cli):
    photos = corpus(12)
    reports = shard_reports(photos, tmp_path / "out", 3, tmp_path)
    assert all(r["summary"]["total"] < 12 for r in reports), "one shard took everything"

    merged = imgflow.merge_reports(reports, output=tmp_path / "merged.json")
    assert merged["summary"]["total"] == 12
    assert merged["summary"]["ok"] == 12
    assert inputs_of(merged) == sorted(str(p) for p in photos.iterdir())
    assert merged["merge"] == {"reports": 3, "shard_count": 3, "shards_present": [1, 2, 3],
                               "shards_missing": [], "in_several_shards": [], "complete": True,
                               "all_ok": True}
    assert merged["job"]["shard"] is None
    assert json.loads((tmp_path / "merged.json").read_text()) == merged

    # Paths give the same report, and the same as the command's.
    from_paths = imgflow.merge_reports(
        [tmp_path / "reports" / "2.json", str(tmp_path / "reports" / "1.json"),
         tmp_path / "reports" / "3.json"])
    done = cli("merge-reports", "-o", tmp_path / "cli.json", *sorted((tmp_path / "reports").iterdir()))
    assert done.returncode == 0, done.stderr
    by_command = json.loads((tmp_path / "cli.json").read_text())
    for result in (from_paths, by_command):
        assert inputs_of(result) == inputs_of(merged)
        assert result["summary"] == merged["summary"]
        assert result["merge"] == merged["merge"]


def test_a_missing_shard_makes_it_incomplete(corpus, tmp_path):
    reports = shard_reports(corpus(12), tmp_path / "out", 3, tmp_path)
    merged = imgflow.merge_reports([reports[0], reports[2]])
    assert merged["merge"]["shards_present"] == [1, 3]
    assert merged["merge"]["shards_missing"] == [2]
    assert merged["merge"]["complete"] is False
    assert merged["summary"]["total"] == 12 - reports[1]["summary"]["total"]


def test_a_file_done_by_two_shards_is_named(corpus, tmp_path):
    reports = shard_reports(corpus(12), tmp_path / "out", 3, tmp_path)
    stray = reports[0]["files"][0]
    reports[1]["files"].append(dict(stray))  # shard 2 also claims one of shard 1's files
    merged = imgflow.merge_reports(reports)
    assert merged["merge"]["in_several_shards"] == [stray["input"]]
    assert merged["merge"]["complete"] is False
    assert merged["summary"]["total"] == 12  # still once in the files


def test_a_shard_run_again_counts_once(corpus, tmp_path):
    photos = corpus(12)
    reports = shard_reports(photos, tmp_path / "out", 3, tmp_path)
    again = imgflow.run(photos, tmp_path / "out", size="64x64", shard=(2, 3), skip_existing=True)
    assert again["summary"]["skipped"] == reports[1]["summary"]["total"]
    merged = imgflow.merge_reports(reports + [again])
    assert merged["merge"]["reports"] == 4
    assert merged["merge"]["complete"] is True and merged["merge"]["all_ok"] is True
    assert merged["summary"]["total"] == 12
    assert merged["summary"]["ok"] == 12  # written beats up to date


def test_a_foreign_report_raises_usage(corpus, tmp_path):
    photos = corpus(6)
    reports = shard_reports(photos, tmp_path / "out", 2, tmp_path)
    other_output = imgflow.run(photos, tmp_path / "elsewhere", size="64x64", shard=(2, 2))
    with pytest.raises(imgflow.Error, match=r"reports\[1\]: it belongs to another job") as e:
        imgflow.merge_reports([reports[0], other_output])
    assert e.value.code == "usage"
    other_split = imgflow.run(photos, tmp_path / "out", size="64x64", shard=(1, 3))
    with pytest.raises(imgflow.Error, match="split into 3 shards, not 2") as e:
        imgflow.merge_reports([tmp_path / "reports" / "1.json", other_split])
    assert e.value.code == "usage"
    with pytest.raises(imgflow.Error, match="not an imgflow report") as e:
        imgflow.merge_reports([reports[0], {"files": []}])
    assert e.value.code == "usage"
    with pytest.raises(imgflow.Error, match="no such|No such|not-found|cannot") as e:
        imgflow.merge_reports([tmp_path / "reports" / "9.json"])
    assert e.value.code == "usage"
    with pytest.raises(imgflow.Error, match="expected a list") as e:
        imgflow.merge_reports(tmp_path / "reports" / "1.json")
    assert e.value.code == "usage"
    assert not (tmp_path / "merged.json").exists()

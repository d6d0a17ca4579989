// `imgflow merge-reports -o OUT.json REPORT.json...`: one report for a job
// array's shards, and an exit code a workflow can gate on.
#pragma once

namespace imgflow::cli {

/// argv[0] is "merge-reports". Exit 0: every shard present, no file done by
/// two shards, every file ok; 1: otherwise (stated on stderr); 2: a report
/// that is unreadable or belongs to another job, or bad arguments.
int merge_reports_main(int argc, char** argv);

}  // namespace imgflow::cli

#!/usr/bin/env node
// Has a fuzz target plateaued? Reads the log of one `cargo fuzz run` (libFuzzer's progress
// lines on stderr) and prints the coverage it gained in its last 1, 5, 10 and 30 minutes.
//
// The measure RELIABILITY.md uses: a target has plateaued when it gained under 0.1% new
// coverage (`cov:`) per 5 minutes over its last 5, 10 and 30 minutes alike (a run shorter
// than a window is judged on the windows it has, and one under 5 minutes is not judged).
// One window alone can mislead: `config` gained nothing for 5 minutes between bursts of 20
// points.
//
// A progress line carries the execution count and the average executions per second since
// the run started, so its time is count / rate. Lines are written only when something
// happens (a new input, a reduced one, a power-of-two count), so a quiet stretch at the end
// is measured from the last line, not from when the run stopped.
//
// Usage: node fuzz/plateau.mjs LOG...   (exit status 1 if any log has not plateaued)
import { readFileSync } from "node:fs";

const WINDOWS_SECONDS = [60, 300, 600, 1800];
const PLATEAU_PERCENT_PER_5_MINUTES = 0.1;
const PROGRESS = /^#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+).*?exec\/s: (\d+)/;

function progress(log) {
  const points = [];
  for (const line of log.split("\n")) {
    const match = PROGRESS.exec(line);
    if (!match) continue;
    const [executions, cov, ft, rate] = match.slice(1).map(Number);
    if (rate > 0) points.push({ seconds: executions / rate, executions, cov, ft });
  }
  return points;
}

function judge(file) {
  const points = progress(readFileSync(file, "utf8"));
  if (points.length === 0) {
    console.log(`${file}: no libFuzzer progress lines`);
    return false;
  }
  const last = points[points.length - 1];
  console.log(
    `${file}: ${Math.round(last.seconds)} s, ${last.executions.toLocaleString("en")} executions, cov ${last.cov}, ft ${last.ft}`,
  );
  let plateaued = true;
  let judgedWindows = 0;
  for (const window of WINDOWS_SECONDS) {
    const before = points.filter((p) => p.seconds <= last.seconds - window).at(-1);
    if (!before) continue;
    const gained = last.cov - before.cov;
    const percent = (100 * gained) / before.cov;
    const per5 = (percent * 300) / window;
    const judged = window >= 300;
    if (judged) judgedWindows += 1;
    if (judged && per5 >= PLATEAU_PERCENT_PER_5_MINUTES) plateaued = false;
    console.log(
      `  last ${String(window / 60).padStart(2)} min: cov +${gained} (${percent.toFixed(2)}%` +
        (judged ? `, ${per5.toFixed(3)}% per 5 min)` : ")"),
    );
  }
  const measure = `the measure: under ${PLATEAU_PERCENT_PER_5_MINUTES}% per 5 minutes`;
  if (judgedWindows === 0) {
    console.log(`  too short to judge: under 5 minutes of progress lines (${measure})`);
    return false;
  }
  console.log(`  ${plateaued ? "plateaued" : "still gaining"} (${measure})`);
  return plateaued;
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node fuzz/plateau.mjs LOG...");
  process.exit(2);
}
const results = files.map(judge);
process.exit(results.every(Boolean) ? 0 : 1);

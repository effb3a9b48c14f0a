"""OCR bench: every engine and weight set side by side on the same generated quotation photos.

    .venv/bin/python bench/ocr.py [--n 40] [--engines onnx,paddle,onnx-v5,onnx-v6] [--doctored 5]

Without ``--engines`` it runs every engine the ``ocr`` extra installs on this
Python (``onnx`` and ``paddle`` need Python ≤ 3.12, see pyproject.toml).

Per engine, each in a fresh subprocess (so cold start and peak RSS are its
own): cold start (load + first photo), warm median / p90 seconds per photo,
warm median CPU seconds per photo (all threads; barely moved by other
processes on a shared machine, unlike wall time), peak RSS, and per-field *exact* accuracy of the full pipeline (OCR +
extraction) against the generator's ground truth. Doctored photos (大写
disagreeing with the digits) must all be flagged.

Why exact-match per field rather than character accuracy: a quotation with
one wrong digit in the total is wrong (see PITFALLS.md, OCR section).

The machine is shared: the load average is printed with the results, and
the warm figure is a median so one stolen time slice does not move it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOALS = {"warm_median_s": 1.5, "total": 0.98, "customer": 0.95, "line_items": 0.95}


def _truth_lines(truth: Any) -> list[dict[str, str]]:
    return [
        {"name": ln.name, "model": ln.model, "qty": ln.qty, "unit_price": ln.unit_price, "amount": ln.amount}
        for ln in truth.lines
    ]


def score(result: dict[str, Any], truth: Any) -> dict[str, Any]:
    """Exact per-field comparison of one extraction with its ground truth."""
    want = _truth_lines(truth)
    got = result["lines"]
    items_right = sum(1 for a, b in zip(got, want, strict=False) if a == b)
    return {
        "total": result["total"] == truth.total,
        "customer": result["customer"] == truth.customer,
        "quote_no": result["quote_no"] == truth.quote_no,
        "date": result["date"] == truth.date,
        "total_upper": result["total_upper"] == truth.total_upper,
        "all_lines": got == want,
        "items_right": items_right,
        "items_total": len(want),
        "extra_items": max(0, len(got) - len(want)),
    }


def _vm(field: str) -> float:
    """Current (VmRSS) or peak (VmHWM) resident memory of this process in MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(engine_name: str, folder: Path) -> dict[str, Any]:
    """Runs inside the subprocess: load, OCR every photo, extract, score.

    Photos are read from ``folder`` (written by the parent) so that the peak
    RSS measured here is the engine's, not the image generator's.
    """
    from bot.ocr.engines import get_engine
    from bot.ocr.extract import extract_quote
    from tests.ocr.make_quotes import QuoteTruth, TruthLine

    index = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    photos = []
    for name, entry in index.items():
        truth = dict(entry["truth"])
        truth["lines"] = [TruthLine(**line) for line in truth["lines"]]
        photos.append((name, entry["kind"], (folder / name).read_bytes(), QuoteTruth(**truth)))
    samples = [p for p in photos if p[1] == "quote"]
    bad = [p for p in photos if p[1] == "doctored"]
    rss_before = _vm("VmRSS")
    started = time.perf_counter()
    engine = get_engine(engine_name)
    loaded = time.perf_counter()
    extract_quote(engine.recognize(samples[0][2]))
    cold_first = time.perf_counter() - loaded
    times: list[float] = []
    cpu_times: list[float] = []
    scores: list[dict[str, Any]] = []
    failures: list[str] = []
    for name, _kind, image, truth in samples:
        t0, c0 = time.perf_counter(), time.process_time()
        result = extract_quote(engine.recognize(image)).to_dict()
        times.append(time.perf_counter() - t0)
        cpu_times.append(time.process_time() - c0)
        one = score(result, truth)
        scores.append(one)
        wrong = [k for k in ("total", "customer", "quote_no", "date", "all_lines") if not one[k]]
        if wrong:
            failures.append(f"{name}: {','.join(wrong)}")
    flagged = 0
    for _name, _kind, image, _truth in bad:
        result = extract_quote(engine.recognize(image)).to_dict()
        flagged += result["checks"]["upper_matches_total"] is False
    n = len(scores)
    items_total = sum(s["items_total"] for s in scores)
    ordered = sorted(times)
    return {
        "engine": engine_name,
        "photos": n,
        "load_s": loaded - started,
        "cold_s": loaded - started + cold_first,
        "warm_median_s": statistics.median(times),
        "warm_p90_s": ordered[min(n - 1, int(0.9 * n))],
        "warm_cpu_s": statistics.median(cpu_times),
        "rss_before_mb": rss_before,
        "peak_rss_mb": _vm("VmHWM"),
        "acc": {
            "total": sum(s["total"] for s in scores) / n,
            "customer": sum(s["customer"] for s in scores) / n,
            "quote_no": sum(s["quote_no"] for s in scores) / n,
            "date": sum(s["date"] for s in scores) / n,
            "total_upper": sum(s["total_upper"] for s in scores) / n,
            "line_items": sum(s["items_right"] for s in scores) / max(items_total, 1),
            "all_lines": sum(s["all_lines"] for s in scores) / n,
        },
        "items": items_total,
        "doctored_flagged": f"{flagged}/{len(bad)}",
        "failures": failures,
    }


def write_photos(folder: Path, count: int, doctored: int, seed: int) -> None:
    """The generated set: ``count`` ordinary photos plus ``doctored`` ones, with truth.json."""
    from tests.ocr.make_quotes import make_quote, make_set

    samples = make_set(count, seed) + [
        make_quote(seed * 1000 + 500 + i, doctor_upper=True) for i in range(doctored)
    ]
    index = {}
    for sample in samples:
        assert sample.truth is not None
        (folder / f"{sample.name}.jpg").write_bytes(sample.image)
        index[f"{sample.name}.jpg"] = {"kind": sample.kind, "truth": sample.truth.to_dict()}
    (folder / "truth.json").write_text(json.dumps(index, ensure_ascii=False), encoding="utf-8")


def run_engine(engine: str, folder: Path) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--worker", engine, "--folder", str(folder)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{engine} worker failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def report(results: list[dict[str, Any]]) -> str:
    names = [r["engine"] for r in results]
    rows: list[tuple[str, list[str]]] = [
        ("photos", [str(r["photos"]) for r in results]),
        ("load (s)", [f"{r['load_s']:.2f}" for r in results]),
        ("cold start: load + 1st photo (s)", [f"{r['cold_s']:.2f}" for r in results]),
        ("warm median s/photo", [f"{r['warm_median_s']:.2f}" for r in results]),
        ("warm p90 s/photo", [f"{r['warm_p90_s']:.2f}" for r in results]),
        ("warm median CPU s/photo", [f"{r['warm_cpu_s']:.2f}" for r in results]),
        ("peak RSS (MB)", [f"{r['peak_rss_mb']:.0f}" for r in results]),
        ("  of which before loading (MB)", [f"{r['rss_before_mb']:.0f}" for r in results]),
    ]
    for key in ("total", "customer", "quote_no", "date", "total_upper", "line_items", "all_lines"):
        label = {"line_items": "line items exact", "all_lines": "photos with every line exact"}.get(
            key, f"{key} exact"
        )
        rows.append((label, [f"{r['acc'][key] * 100:.1f} %" for r in results]))
    rows.append(("大写≠小写 flagged (doctored)", [r["doctored_flagged"] for r in results]))
    width = max(len(label) for label, _ in rows) + 2
    lines = [f"{'':<{width}}" + "".join(f"{n:>12}" for n in names)]
    lines += [f"{label:<{width}}" + "".join(f"{v:>12}" for v in values) for label, values in rows]
    for r in results:
        if r["failures"]:
            lines.append(f"{r['engine']} misses: " + "; ".join(r["failures"]))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="OCR engines side by side on generated quotation photos.")
    parser.add_argument("--n", type=int, default=40, help="ordinary photos (≈1125×1500 px)")
    parser.add_argument("--doctored", type=int, default=5, help="photos whose 大写 disagrees with the total")
    parser.add_argument("--engines", default="", help="comma-separated; default: all on this Python")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.folder), ensure_ascii=False))
        return
    load = os.getloadavg()
    from bot.ocr.engines import DEFAULT_ENGINE, supported_engines

    engines = [e.strip() for e in args.engines.split(",") if e.strip()] or supported_engines()
    # The default engine first: the goals below are checked against it.
    engines.sort(key=lambda e: e != DEFAULT_ENGINE)
    python = ".".join(map(str, sys.version_info[:3]))
    print(f"python {python}, cpu cores: {os.cpu_count()}, load average before: {load[0]:.2f}", flush=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="ocr-bench-") as tmp:
        folder = Path(tmp)
        write_photos(folder, args.n, args.doctored, args.seed)
        for engine in engines:
            print(f"running {engine} …", flush=True)
            results.append(run_engine(engine, folder))
    print(report(results))
    default = results[0]
    goals = [
        f"warm median ≤ {GOALS['warm_median_s']} s: {default['warm_median_s']:.2f}",
        f"total ≥ 98 %: {default['acc']['total'] * 100:.1f}",
        f"customer ≥ 95 %: {default['acc']['customer'] * 100:.1f}",
        f"line items ≥ 95 %: {default['acc']['line_items'] * 100:.1f}",
    ]
    print(f"goals for {default['engine']}: " + "; ".join(goals))
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

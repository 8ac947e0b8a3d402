#!/usr/bin/env python3
"""Peak memory of `vecdb ingest` against the size of its input: the same ingest of a 10 MB and of a 2 GB file.

Usage (repository root, after `scripts/setup`):
    python3 bench/ingest/memory.py [--sizes 10e6,2e9] [--distinct 2000]

Each input is JSON Lines of ~0.5–1 KB records without `id` (a 60–140-word text from the reference vocabulary and two
metadata fields), the `--distinct` records repeated in order until the file has the size asked for. Without an `id`
a document is known by its text, so the 2 GB file stores and embeds the same documents as the 10 MB one, and every
other line is "already present": ingest still reads, validates (a first pass over the whole file, before anything is
written), parses and looks up every line, in batches of 256. What grows with the input is the number of lines; what
must not grow is the memory. For each size: a fresh database, `vecdb ingest FILE --db DB --json`, wall time and the
peak resident set of the vecdb process (the kernel's ru_maxrss of the child). Prints one JSON object with the
machine and load.
"""
import argparse, json, os, random, resource, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from reference_vocabulary import WORDS  # noqa: E402

VECDB = os.path.join(ROOT, ".build", "release", "vecdb")


def write_input(path, size, distinct):
    rng = random.Random(7)
    texts = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(60, 140))) for _ in range(distinct)]
    written, line = 0, 0
    with open(path, "w", encoding="utf-8") as out:
        while written < size:
            record = json.dumps({"text": texts[line % distinct], "part": line % distinct % 7, "lang": "en"}) + "\n"
            out.write(record)
            written += len(record.encode())
            line += 1
    return line


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10e6,2e9", help="input sizes in bytes, comma-separated")
    ap.add_argument("--distinct", type=int, default=2000, help="distinct texts in each input")
    a = ap.parse_args()
    cpu = subprocess.run("lscpu | grep 'Model name' | sed 's/.*: *//'", shell=True, capture_output=True, text=True).stdout.strip()
    result = {"machine": cpu, "cores": os.cpu_count(), "load_before": os.getloadavg(), "runs": []}
    with tempfile.TemporaryDirectory(dir=os.path.join(ROOT, "bench", "out") if os.path.isdir(os.path.join(ROOT, "bench", "out")) else None) as tmp:
        for size in (int(float(s)) for s in a.sizes.split(",")):
            path = os.path.join(tmp, f"input-{size}.jsonl")
            lines = write_input(path, size, a.distinct)
            db = os.path.join(tmp, f"db-{size}")
            t0 = time.perf_counter()
            # A fresh child per run: RUSAGE_CHILDREN's maxrss is the largest child so far, so sizes go smallest first.
            out = subprocess.run([VECDB, "ingest", path, "--db", db, "--json"], check=True, capture_output=True, text=True).stdout
            seconds = time.perf_counter() - t0
            peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            summary = json.loads(out.strip().splitlines()[-1])
            result["runs"].append({"input_bytes": os.path.getsize(path), "lines": lines, "seconds": seconds,
                                   "peak_rss_mb": peak_mb, "summary": summary})
            print(json.dumps(result["runs"][-1]), file=sys.stderr)
            os.remove(path)
            subprocess.run(["rm", "-rf", db])
    result["load_after"] = os.getloadavg()
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()

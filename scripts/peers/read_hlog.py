"""Read an HdrHistogram interval log with the Python hdrhistogram package and print, as JSON,
every interval (tag, start, length, count) and per tag the merged count, p50, p99 and max.

The package's own HistogramLogReader does not accept tagged lines (`Tag=...,`), so each line is
split here and its histogram decoded with HdrHistogram.decode, the package's V2 decoder."""

import json
import sys

from hdrh.histogram import HdrHistogram


def main(path):
    intervals = []
    merged = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#") or line.startswith('"'):
                continue
            tag = ""
            if line.startswith("Tag="):
                tag, line = line[len("Tag="):].split(",", 1)
            start, length, _max, encoded = line.split(",", 3)
            h = HdrHistogram.decode(encoded)
            intervals.append(
                {"tag": tag, "start": float(start), "length": float(length), "count": h.get_total_count()}
            )
            if tag not in merged:
                # 1 µs to 1 hour at 4 significant figures, as the harness records.
                merged[tag] = HdrHistogram(1, 3_600_000_000, 4)
            merged[tag].add(h)
    tags = {
        t: {
            "count": h.get_total_count(),
            "p50": h.get_value_at_percentile(50.0),
            "p99": h.get_value_at_percentile(99.0),
            "max": h.get_max_value(),
        }
        for t, h in merged.items()
    }
    print(json.dumps({"intervals": intervals, "tags": tags}))


if __name__ == "__main__":
    main(sys.argv[1])

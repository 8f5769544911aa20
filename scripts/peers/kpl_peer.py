"""The KPL aggregation format's own Python library (aws-kinesis-agg) on the other side of the
harness's aggregator and reader (tests/it/kpl_peer.rs).

  kpl_peer.py aggregate    stdin: [{"pk": str, "data": base64}, ...]
                           stdout: [base64 aggregate, ...] (RecordAggregator, its default limit)
  kpl_peer.py deaggregate  stdin: [base64 Kinesis record data, ...]
                           stdout: [{"pk": str, "ehk": str|null, "data": base64,
                                     "aggregated": bool}, ...] (deaggregate_records)
"""

import base64
import json
import sys

from aws_kinesis_agg.aggregator import RecordAggregator
from aws_kinesis_agg.deaggregator import deaggregate_records


def aggregate(users):
    out = []
    agg = RecordAggregator()
    for u in users:
        full = agg.add_user_record(u["pk"], base64.b64decode(u["data"]))
        if full is not None:
            out.append(full.get_contents()[2])
    last = agg.clear_and_get()
    if last is not None and last.get_num_user_records() > 0:
        out.append(last.get_contents()[2])
    return [base64.b64encode(b).decode() for b in out]


def deaggregate(datas):
    records = [
        {
            "kinesis": {
                "data": d,
                "kinesisSchemaVersion": "1.0",
                "sequenceNumber": str(i),
                "approximateArrivalTimestamp": 0,
                "partitionKey": "outer",
            }
        }
        for i, d in enumerate(datas)
    ]
    out = []
    for r in deaggregate_records(records):
        k = r["kinesis"]
        data = k["data"]
        out.append(
            {
                "pk": k["partitionKey"],
                "ehk": k.get("explicitHashKey"),
                "data": data.decode() if isinstance(data, bytes) else data,
                "aggregated": bool(k.get("aggregated", False)),
            }
        )
    return out


if __name__ == "__main__":
    command = sys.argv[1]
    given = json.load(sys.stdin)
    if command == "aggregate":
        json.dump(aggregate(given), sys.stdout)
    elif command == "deaggregate":
        json.dump(deaggregate(given), sys.stdout)
    else:
        sys.exit(f"unknown command {command!r}: aggregate or deaggregate")

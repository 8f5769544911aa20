"""boto3 as a test peer of the embedded Kinesis + KMS service (tests/boto3_peer.rs).

A small driver: reads one JSON command per line on stdin, performs it with a boto3 client of
the named principal against --endpoint, and writes one JSON line per command on stdout (flushed
at once, so the caller can change the service's world between two commands).

A command:

  {"principal": "producer", "service": "kinesis", "op": "put_record", "params": {...}}

"principal" is the access key id; the secret is "<principal>-secret" unless "secret" is given.
"op" is boto3's snake_case method name and "params" its keyword arguments. JSON has no bytes:
a value {"$bytes": "<base64>"} anywhere in params is passed as those bytes.

An answer:

  {"ok": true, "result": {...}}   the response without ResponseMetadata, made JSON-safe (bytes
                                  as base64 strings, datetimes as ISO 8601 strings)
  {"ok": false, "code": "KMSDisabledException", "status": 400, "message": "..."}
                                  botocore's ClientError, with the error code boto3 parsed
  {"ok": false, "code": null, "status": null, "error": "ParamValidationError", "message": "..."}
                                  any other exception of the call

Clients never retry (retries max_attempts 1, standard mode), so every error the service gives
is seen as given. A line that is not a JSON object with these keys ends the driver with exit 2.
End of input ends it with exit 0.

Uses only the standard library and boto3.
"""

import argparse
import base64
import datetime
import json
import sys


def to_json(value):
    """A JSON-safe copy of a boto3 response value."""
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if hasattr(value, "read"):  # a streaming body
        return base64.b64encode(value.read()).decode("ascii")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def from_json(value):
    """Command parameters with {"$bytes": base64} turned into bytes."""
    if isinstance(value, dict):
        if set(value) == {"$bytes"}:
            return base64.b64decode(value["$bytes"])
        return {k: from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json(v) for v in value]
    return value


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True, help="e.g. http://127.0.0.1:4567")
    parser.add_argument("--region", default="us-east-1")
    args = parser.parse_args()

    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError

    config = Config(
        retries={"max_attempts": 1, "mode": "standard"},
        connect_timeout=5,
        read_timeout=15,
    )
    session = boto3.session.Session()
    clients = {}

    def client(principal, secret, service):
        key = (principal, secret, service)
        if key not in clients:
            clients[key] = session.client(
                service,
                endpoint_url=args.endpoint,
                region_name=args.region,
                aws_access_key_id=principal,
                aws_secret_access_key=secret,
                config=config,
            )
        return clients[key]

    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            command = json.loads(line)
            principal = command["principal"]
            secret = command.get("secret", f"{principal}-secret")
            service = command["service"]
            op = command["op"]
            params = from_json(command.get("params", {}))
        except (ValueError, KeyError, TypeError) as e:
            print(f"boto3_peer: error: bad command {line.strip()!r}: {e}", file=sys.stderr)
            sys.exit(2)
        try:
            method = getattr(client(principal, secret, service), op)
            response = method(**params)
            response.pop("ResponseMetadata", None)
            answer = {"ok": True, "result": to_json(response)}
        except ClientError as e:
            answer = {
                "ok": False,
                "code": e.response.get("Error", {}).get("Code"),
                "status": e.response.get("ResponseMetadata", {}).get("HTTPStatusCode"),
                "message": e.response.get("Error", {}).get("Message", str(e)),
            }
        except Exception as e:  # noqa: BLE001 - every failure is an answer, not an exit
            answer = {
                "ok": False,
                "code": None,
                "status": None,
                "error": type(e).__name__,
                "message": str(e),
            }
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()

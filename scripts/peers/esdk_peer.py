"""The AWS Encryption SDK for Python (4.x, with the Cryptographic Material Providers Library's
AWS KMS keyring) as a test peer of the embedded Kinesis + KMS service (tests/it/esdk_peer.rs).

Every subcommand talks to the service given by --endpoint with boto3 clients signed by the
principal given on the command line, under commitment policy REQUIRE_ENCRYPT_REQUIRE_DECRYPT (FORBID_ENCRYPT_ALLOW_DECRYPT for
the version 1 suites 0x0178 and 0x0378, which only that policy writes):

  encrypt     --in DIR --out DIR   one ESDK message per file of DIR (sorted by name), same name
  decrypt     --in DIR --out DIR   each message back to its plaintext, same name
  read-stream --stream NAME --out DIR
                                   every record of every shard from TRIM_HORIZON, decrypted, as
                                   files named <shard id>-<sequence number>
  put-stream  --stream NAME --in DIR
                                   each file of DIR encrypted and put with PutRecord, partition
                                   key = file name
  cached-encrypt --threads N --size B
                                   N threads, released together on a cold cache, each encrypt B
                                   bytes through one caching CMM (the ESDK's
                                   CachingCryptoMaterialsManager over a LocalCryptoMaterialsCache
                                   and a KMS master key), then one more on the warm cache: how
                                   many data keys concurrent misses make

cached-encrypt prints {"messages": n} (the threads' and the last).
encrypt prints one JSON line per file ({"name", "plaintext_len", "message_len"}); decrypt
prints one per file ({"name", "plaintext_len", "message_len", "suite"}); put-stream prints
{"records": n} and read-stream {"records": n, "shards": n}. decrypt and read-stream check that the encryption context in
each message's header holds every --context pair. Any failure prints one line
"esdk_peer: error: ..." to stderr (naming the file or record) and exits 1.

Uses only the standard library, boto3, aws_encryption_sdk and aws_cryptographic_material_providers.
"""

import argparse
import json
import logging
import os
import sys

SUITES = ("0x0478", "0x0578", "0x0178", "0x0378")
# Bounds on every loop that calls the service.
MAX_GET_RECORDS_CALLS_PER_SHARD = 200
MAX_LIST_SHARDS_PAGES = 100


# What the cryptography package's message-less exceptions mean for an ESDK message.
EMPTY_MESSAGES = {
    "InvalidTag": "an AES-GCM authentication tag did not verify (message altered, or wrong data key)",
    "InvalidSignature": "the message's ECDSA P-384 signature did not verify (message altered)",
    # The MPL keeps only the message of a modeled KMS error, and KMS sends InvalidCiphertextException
    # with an empty one.
    "ComAmazonawsKms": "KMS refused with an empty message (as for InvalidCiphertextException: "
    "wrong encryption context or altered encrypted data key)",
}


class PeerError(Exception):
    """A failure to report as one line and exit 1."""


def fail(message):
    print(f"esdk_peer: error: {message}", file=sys.stderr)
    sys.exit(1)


def describe(exc, depth=0):
    """One line for an exception from the ESDK, the MPL or botocore (nested errors flattened)."""
    if depth > 5:
        return type(exc).__name__
    try:
        from botocore.exceptions import ClientError
    except ImportError:  # pragma: no cover - boto3 is a requirement
        ClientError = ()
    if ClientError and isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        op = getattr(exc, "operation_name", "?")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return f"{op} failed: {err.get('Code', '?')} (HTTP {status}): {err.get('Message', '')}"
    parts = []
    nested = getattr(exc, "list", None)
    if isinstance(nested, list) and nested:
        parts.append(
            f"{type(exc).__name__}: "
            + "; ".join(describe(e, depth + 1) for e in nested if isinstance(e, BaseException))
        )
    else:
        message = getattr(exc, "message", None)
        if not message:
            if exc.args and isinstance(exc.args[0], BaseException):
                message = describe(exc.args[0], depth + 1)
            else:
                message = str(exc) or EMPTY_MESSAGES.get(type(exc).__name__, "(no message)")
        # The MPL wraps KMS errors (ComAmazonawsKms etc.) with the underlying error as an attribute.
        for attr in ("ComAmazonawsKms", "AwsCryptographicPrimitives", "KeyStore"):
            inner = getattr(exc, attr, None)
            if isinstance(inner, BaseException):
                message = f"{message} [{describe(inner, depth + 1)}]" if message else describe(inner, depth + 1)
        parts.append(f"{type(exc).__name__}: {message}")
    cause = exc.__cause__
    if isinstance(cause, BaseException) and cause is not exc:
        parts.append(f"caused by {describe(cause, depth + 1)}")
    return " ".join(" ".join(parts).split())


def parse_context(pairs):
    context = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise PeerError(f"--context {pair!r} is not k=v")
        context[key] = value
    return context


def list_files(directory):
    if not os.path.isdir(directory):
        raise PeerError(f"{directory} is not a directory")
    return sorted(n for n in os.listdir(directory) if os.path.isfile(os.path.join(directory, n)))


def emit(obj):
    print(json.dumps(obj, sort_keys=True), flush=True)


class Peer:
    """The boto3 clients, the keyring and the ESDK client built from the command line."""

    def __init__(self, args):
        import boto3
        import botocore.config
        import aws_encryption_sdk
        from aws_encryption_sdk.identifiers import Algorithm, CommitmentPolicy
        from aws_cryptographic_material_providers.mpl import AwsCryptographicMaterialProviders
        from aws_cryptographic_material_providers.mpl.config import MaterialProvidersConfig
        from aws_cryptographic_material_providers.mpl.models import CreateAwsKmsKeyringInput

        self.args = args
        self.context = parse_context(args.context)
        self.algorithm = {
            "0x0478": Algorithm.AES_256_GCM_HKDF_SHA512_COMMIT_KEY,
            "0x0578": Algorithm.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
            # Message format version 1, as ESDKs before 2.0 wrote it (no key commitment).
            "0x0178": Algorithm.AES_256_GCM_IV12_TAG16_HKDF_SHA256,
            "0x0378": Algorithm.AES_256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384,
        }[args.suite]
        # Bounded: two attempts, short timeouts, no retry storms against a test server.
        config = botocore.config.Config(
            retries={"max_attempts": 2, "mode": "standard"},
            connect_timeout=5,
            read_timeout=30,
        )

        def client(service, access_key, secret_key):
            session = boto3.session.Session(
                aws_access_key_id=access_key,
                aws_secret_access_key=secret_key,
                region_name=args.region,
            )
            return session.client(service, endpoint_url=args.endpoint, config=config)

        self._client = client
        kms = client("kms", args.access_key, args.secret_key)
        self.kms = kms
        providers = AwsCryptographicMaterialProviders(config=MaterialProvidersConfig())
        self.keyring = providers.create_aws_kms_keyring(
            input=CreateAwsKmsKeyringInput(kms_key_id=args.key_arn, kms_client=kms)
        )
        # The committing suites under the strictest policy; the version 1 suites can only be
        # written under the policy older ESDKs had (FORBID_ENCRYPT_ALLOW_DECRYPT).
        policy = (
            CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT
            if args.suite in ("0x0478", "0x0578")
            else CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT
        )
        self.esdk = aws_encryption_sdk.EncryptionSDKClient(commitment_policy=policy)

    def kinesis(self):
        a = self.args
        return self._client(
            "kinesis", a.kinesis_access_key or a.access_key, a.kinesis_secret_key or a.secret_key
        )

    def encrypt(self, what, plaintext):
        try:
            message, _header = self.esdk.encrypt(
                source=plaintext,
                keyring=self.keyring,
                encryption_context=dict(self.context),
                algorithm=self.algorithm,
                frame_length=self.args.frame_length,
            )
        except Exception as exc:  # the ESDK, the MPL and botocore raise many types
            raise PeerError(f"encrypting {what}: {describe(exc)}") from exc
        return message

    def decrypt(self, what, message):
        try:
            plaintext, header = self.esdk.decrypt(source=message, keyring=self.keyring)
        except Exception as exc:
            raise PeerError(f"decrypting {what}: {describe(exc)}") from exc
        got = header.encryption_context
        for key, value in self.context.items():
            if key not in got:
                raise PeerError(f"decrypting {what}: encryption context has no {key!r} (has {sorted(got)})")
            if got[key] != value:
                raise PeerError(
                    f"decrypting {what}: encryption context {key!r} is {got[key]!r}, expected {value!r}"
                )
        suite = f"{header.algorithm.algorithm_id:#06x}"
        return plaintext, suite


def cmd_encrypt(peer, args):
    os.makedirs(args.out, exist_ok=True)
    for name in list_files(args.input):
        with open(os.path.join(args.input, name), "rb") as f:
            plaintext = f.read()
        message = peer.encrypt(name, plaintext)
        with open(os.path.join(args.out, name), "wb") as f:
            f.write(message)
        emit({"name": name, "plaintext_len": len(plaintext), "message_len": len(message)})


def cmd_cached_encrypt(peer, args):
    import threading
    from aws_encryption_sdk import CachingCryptoMaterialsManager, LocalCryptoMaterialsCache
    from aws_encryption_sdk.key_providers.kms import KMSMasterKey

    cmm = CachingCryptoMaterialsManager(
        master_key_provider=KMSMasterKey(key_id=args.key_arn, client=peer.kms),
        cache=LocalCryptoMaterialsCache(capacity=100),
        max_age=300.0,
    )
    start = threading.Barrier(args.threads, timeout=30)
    errors = []

    def one(i, wait=True):
        try:
            if wait:
                start.wait()
            peer.esdk.encrypt(
                source=bytes(args.size),
                materials_manager=cmm,
                encryption_context=dict(peer.context),
                algorithm=peer.algorithm,
                frame_length=args.frame_length,
            )
        except Exception as exc:  # reported once, below
            errors.append(f"thread {i}: {describe(exc)}")

    threads = [threading.Thread(target=one, args=(i,)) for i in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    if errors:
        raise PeerError("; ".join(errors))
    if any(t.is_alive() for t in threads):
        raise PeerError("a thread did not finish in 60 s")
    one("after", wait=False)
    if errors:
        raise PeerError("; ".join(errors))
    emit({"messages": args.threads + 1})


def cmd_decrypt(peer, args):
    os.makedirs(args.out, exist_ok=True)
    for name in list_files(args.input):
        with open(os.path.join(args.input, name), "rb") as f:
            message = f.read()
        plaintext, suite = peer.decrypt(name, message)
        with open(os.path.join(args.out, name), "wb") as f:
            f.write(plaintext)
        emit({"name": name, "plaintext_len": len(plaintext), "message_len": len(message), "suite": suite})


def call(what, fn, **kwargs):
    try:
        return fn(**kwargs)
    except Exception as exc:
        raise PeerError(f"{what}: {describe(exc)}") from exc


def cmd_read_stream(peer, args):
    os.makedirs(args.out, exist_ok=True)
    kinesis = peer.kinesis()
    shards = []
    request = {"StreamName": args.stream}
    for _ in range(MAX_LIST_SHARDS_PAGES):
        page = call(f"ListShards {args.stream}", kinesis.list_shards, **request)
        shards.extend(s["ShardId"] for s in page.get("Shards", []))
        token = page.get("NextToken")
        if not token:
            break
        request = {"NextToken": token}
    else:
        raise PeerError(f"ListShards {args.stream}: more than {MAX_LIST_SHARDS_PAGES} pages")
    records = 0
    for shard in shards:
        iterator = call(
            f"GetShardIterator {args.stream}/{shard}",
            kinesis.get_shard_iterator,
            StreamName=args.stream,
            ShardId=shard,
            ShardIteratorType="TRIM_HORIZON",
        )["ShardIterator"]
        calls = 0
        while iterator:
            if calls >= MAX_GET_RECORDS_CALLS_PER_SHARD:
                raise PeerError(
                    f"GetRecords {args.stream}/{shard}: not caught up after "
                    f"{MAX_GET_RECORDS_CALLS_PER_SHARD} calls"
                )
            calls += 1
            page = call(f"GetRecords {args.stream}/{shard}", kinesis.get_records, ShardIterator=iterator)
            for record in page.get("Records", []):
                seq = record["SequenceNumber"]
                name = f"{shard}-{seq}"
                plaintext, _suite = peer.decrypt(f"record {name}", record["Data"])
                with open(os.path.join(args.out, name), "wb") as f:
                    f.write(plaintext)
                records += 1
            if not page.get("Records") and page.get("MillisBehindLatest", 0) == 0:
                break
            iterator = page.get("NextShardIterator")  # None once a closed shard is read through
    emit({"records": records, "shards": len(shards)})


def cmd_put_stream(peer, args):
    kinesis = peer.kinesis()
    records = 0
    for name in list_files(args.input):
        with open(os.path.join(args.input, name), "rb") as f:
            plaintext = f.read()
        message = peer.encrypt(name, plaintext)
        call(
            f"PutRecord {args.stream} ({name})",
            kinesis.put_record,
            StreamName=args.stream,
            Data=message,
            PartitionKey=name,
        )
        records += 1
    emit({"records": records})


def positive_int(text):
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive integer")
    return value


def build_parser():
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--endpoint", required=True, help="URL of the service, e.g. http://127.0.0.1:4567")
    common.add_argument("--region", default="us-east-1")
    common.add_argument("--access-key", required=True, help="access key id of the principal for KMS")
    common.add_argument("--secret-key", required=True, help="secret access key of that principal")
    common.add_argument(
        "--kinesis-access-key", help="access key id for Kinesis (stream subcommands; default --access-key)"
    )
    common.add_argument("--kinesis-secret-key", help="secret access key for Kinesis (default --secret-key)")
    common.add_argument("--key-arn", required=True, help="ARN of the KMS key of the keyring")
    common.add_argument("--suite", choices=SUITES, default="0x0578", help="algorithm suite for encryption")
    common.add_argument("--frame-length", type=positive_int, default=4096)
    common.add_argument(
        "--context", action="append", default=[], metavar="K=V",
        help="encryption context pair (repeatable): set on encrypt, required in the header on decrypt",
    )
    parser = argparse.ArgumentParser(prog="esdk_peer", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("encrypt", parents=[common])
    p.add_argument("--in", dest="input", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_encrypt)
    p = sub.add_parser("decrypt", parents=[common])
    p.add_argument("--in", dest="input", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_decrypt)
    p = sub.add_parser("read-stream", parents=[common])
    p.add_argument("--stream", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_read_stream)
    p = sub.add_parser("put-stream", parents=[common])
    p.add_argument("--stream", required=True)
    p.add_argument("--in", dest="input", required=True)
    p.set_defaults(func=cmd_put_stream)
    p = sub.add_parser("cached-encrypt", parents=[common])
    p.add_argument("--threads", type=positive_int, required=True)
    p.add_argument("--size", type=positive_int, default=1024)
    p.set_defaults(func=cmd_cached_encrypt)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    # The ESDK logs a traceback ("Error on closing") when a failed message is closed; the
    # failure itself is reported below as one line.
    logging.getLogger("aws_encryption_sdk").setLevel(logging.CRITICAL)
    try:
        peer = Peer(args)
        args.func(peer, args)
    except PeerError as exc:
        fail(str(exc))
    except ImportError as exc:
        fail(f"missing Python package: {exc} (install scripts/peers/requirements.txt)")
    except OSError as exc:
        fail(str(exc))
    except Exception as exc:  # never a bare traceback
        fail(describe(exc))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Reads a secret the way a requester does (aws secretsmanager get-secret-value),
with botocore's own client, signed by botocore: the demo's "requester", and the
tests' proof that sm_peer.py accepts a real SDK's signature.

  sm_client.py ENDPOINT SECRET-ID [FIELD]

Credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
AWS_REGION. Prints the SecretString (or one FIELD of it); on an AWS error prints
its code on stderr and exits 3.
"""
import json
import os
import sys

import botocore.session
from botocore.exceptions import ClientError

endpoint, secret_id = sys.argv[1], sys.argv[2]
client = botocore.session.get_session().create_client(
    "secretsmanager", region_name=os.environ["AWS_REGION"], endpoint_url=endpoint,
    aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
    aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
    aws_session_token=os.environ.get("AWS_SESSION_TOKEN") or None)
try:
    value = client.get_secret_value(SecretId=secret_id)["SecretString"]
except ClientError as e:
    print(e.response["Error"]["Code"], file=sys.stderr)
    sys.exit(3)
print(json.loads(value)[sys.argv[3]] if len(sys.argv) > 3 else value)

"""Run by SAM CLI's own interpreter (its venv has samtranslator): print template.yaml as
CloudFormation, the way `sam deploy` transforms it. Offline: code locations are faked as S3 URIs
and the managed-policy lookup is answered locally."""

import json
import re
import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

_AWS = "arn:aws:iam::aws:policy"
MANAGED_POLICIES = {
    "AWSLambdaBasicExecutionRole": f"{_AWS}/service-role/AWSLambdaBasicExecutionRole",
    "AWSXrayWriteOnlyAccess": f"{_AWS}/AWSXrayWriteOnlyAccess",
    "AWSXRayDaemonWriteAccess": f"{_AWS}/AWSXRayDaemonWriteAccess",
}


class _Policies:
    def load(self):
        return MANAGED_POLICIES


with open(sys.argv[1], encoding="utf-8") as template:
    text = template.read()
text = re.sub(r"(CodeUri|ContentUri): \S+", r"\1: s3://bucket/key", text)
print(json.dumps(transform(yaml_parse(text), {}, _Policies())))

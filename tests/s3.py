"""A real S3-compatible server for tests: moto's server mode, started on a free port.

Authentication is enforced (INITIAL_NO_AUTH_ACTION_COUNT): the first three calls create an IAM user
with full rights and its key; every later call needs valid credentials, as a real bucket does.
"""

import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from tests.servers import free_port, wait_until_listening

REGION = "us-east-1"


@dataclass
class S3Server:
    endpoint: str
    access_key: str
    secret_key: str
    process: subprocess.Popen
    log_path: Path
    buckets: list = field(default_factory=list)

    def client(self, *, access_key=None, secret_key=None):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=access_key or self.access_key,
            aws_secret_access_key=secret_key or self.secret_key,
        )

    def new_bucket(self) -> str:
        name = f"lms-test-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str) -> list[str]:
        listing = self.client().list_objects_v2(Bucket=bucket)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def env(self, bucket: str, **overrides) -> dict[str, str]:
        """The variables an operator sets to use this bucket."""
        return {
            "AWS_STORAGE_BUCKET_NAME": bucket,
            "AWS_S3_ENDPOINT_URL": self.endpoint,
            "AWS_S3_REGION_NAME": REGION,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            **overrides,
        }

    def user_with(self, actions: list[str]) -> tuple[str, str]:
        """A second IAM user allowed only these S3 actions; its key pair."""
        import boto3

        iam = boto3.client(
            "iam",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
        )
        name = f"limited-{uuid.uuid4().hex[:8]}"
        iam.create_user(UserName=name)
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}
        iam.put_user_policy(UserName=name, PolicyName="limited", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return key["AccessKeyId"], key["SecretAccessKey"]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_server(log_dir: Path) -> S3Server:
    import boto3

    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    log_path = log_dir / f"moto-{port}.log"
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        env={**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "3"},
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    wait_until_listening(process, port, name="moto_server", log_path=log_path, seconds=30)
    iam = boto3.client(
        "iam", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="bootstrap", aws_secret_access_key="x"
    )
    iam.create_user(UserName="lms")
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    iam.put_user_policy(UserName="lms", PolicyName="all", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="lms")["AccessKey"]
    return S3Server(endpoint, key["AccessKeyId"], key["SecretAccessKey"], process, log_path)


def storage_settings(server: S3Server, bucket: str, **env) -> dict:
    """The STORAGES["default"] entry the settings build from server.env(bucket)."""
    from lms.settings import private_storage_from

    return private_storage_from(server.env(bucket, **env))

"""moto_setup.py URL BUCKET: in a moto_server started with INITIAL_NO_AUTH_ACTION_COUNT=4,
spend the 4 unauthenticated requests on an IAM user with an allow-all policy and an access
key, create BUCKET with that key, and print "KEY_ID SECRET"."""
import json
import sys

import boto3

url, bucket = sys.argv[1], sys.argv[2]
common = {"endpoint_url": url, "region_name": "us-east-1"}
iam = boto3.client("iam", aws_access_key_id="AKIDSETUP", aws_secret_access_key="setup", **common)
iam.create_user(UserName="bitflow")
policy = {"Version": "2012-10-17",
          "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
arn = iam.create_policy(PolicyName="allow-all", PolicyDocument=json.dumps(policy))["Policy"]["Arn"]
iam.attach_user_policy(UserName="bitflow", PolicyArn=arn)
key = iam.create_access_key(UserName="bitflow")["AccessKey"]
s3 = boto3.client("s3", aws_access_key_id=key["AccessKeyId"],
                  aws_secret_access_key=key["SecretAccessKey"], **common)
s3.create_bucket(Bucket=bucket)
print(key["AccessKeyId"], key["SecretAccessKey"])

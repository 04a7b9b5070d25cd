"""The pure core: no boto3, pynamodb or chalice imports here, so it is tested without AWS."""

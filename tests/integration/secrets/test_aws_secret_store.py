"""The AWS secret store against moto's Secrets Manager and SSM, and against scripted answers."""

from __future__ import annotations

import concurrent.futures
import json
from pathlib import Path

import pytest
import trustme
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from run_command_on_aws_lambda.adapters.aws.sigv4 import Credentials
from run_command_on_aws_lambda.adapters.secrets.aws import AwsSecretStore
from run_command_on_aws_lambda.app.references import build_store
from run_command_on_aws_lambda.domain.errors import ReferenceNotResolved
from run_command_on_aws_lambda.domain.references import Parameter, Secret
from run_command_on_aws_lambda.domain.resolution import SecretStore, resolve
from tests.fake_runtime_api import closed_port
from tests.local_dynamodb import CREDENTIALS, REGION, TlsDynamoDb
from tests.local_secrets import LocalSecrets


def store_for(secrets: LocalSecrets) -> SecretStore:
    return build_store(secrets.environment)


def test_a_secret_string_is_fetched_by_name_and_by_arn(aws_secrets: LocalSecrets) -> None:
    """GetSecretValue with the name or the full ARN gives the current SecretString."""
    name, arn = aws_secrets.secret('{"password": "s3cr3t"}')
    store = store_for(aws_secrets)
    assert store.fetch(Secret(id=name)) == '{"password": "s3cr3t"}'
    assert store.fetch(Secret(id=arn)) == '{"password": "s3cr3t"}'


def test_a_version_stage_and_a_version_id_select_that_version(aws_secrets: LocalSecrets) -> None:
    """After a rotation AWSCURRENT is the new value, AWSPREVIOUS (and its id) the old one."""
    name, _ = aws_secrets.secret("old")
    first = aws_secrets.secretsmanager.get_secret_value(SecretId=name)["VersionId"]
    aws_secrets.rotate(name, "new")
    store = store_for(aws_secrets)
    assert store.fetch(Secret(id=name)) == "new"
    assert store.fetch(Secret(id=name, version_stage="AWSPREVIOUS")) == "old"
    assert store.fetch(Secret(id=name, version_id=first)) == "old"


@pytest.mark.parametrize("secure", [False, True])
def test_a_parameter_is_fetched_decrypted(aws_secrets: LocalSecrets, secure: bool) -> None:
    """GetParameter with WithDecryption: a SecureString's plain value, as a String's."""
    name = aws_secrets.parameter("hush-hush", secure=secure)
    assert store_for(aws_secrets).fetch(Parameter(name=name)) == "hush-hush"


def test_a_parameter_version_selects_that_version(aws_secrets: LocalSecrets) -> None:
    """NAME:VERSION gives that version, whatever the latest is."""
    name = aws_secrets.parameter("v1")
    aws_secrets.ssm.put_parameter(Name=name, Value="v2", Type="String", Overwrite=True)
    store = store_for(aws_secrets)
    assert store.fetch(Parameter(name=name, version="1")) == "v1"
    assert store.fetch(Parameter(name=name)) == "v2"


@pytest.mark.parametrize(
    ("source", "code"),
    [
        (Secret(id="no/such/secret"), "ResourceNotFoundException"),
        (Parameter(name="/no/such/parameter"), "ParameterNotFound"),
    ],
)
def test_what_does_not_exist_is_an_error_with_awss_code(
    aws_secrets: LocalSecrets, source: Secret | Parameter, code: str
) -> None:
    """The error carries the service's own error code and message."""
    with pytest.raises(ReferenceNotResolved, match=code):
        store_for(aws_secrets).fetch(source)


def test_access_denied_is_an_error_with_awss_code(aws_secrets: LocalSecrets) -> None:
    """A role without secretsmanager:GetSecretValue gets AccessDeniedException, said as such."""
    name, _ = aws_secrets.secret("never-shown")
    aws_secrets.deny(name)
    with pytest.raises(ReferenceNotResolved, match="AccessDeniedException") as raised:
        store_for(aws_secrets).fetch(Secret(id=name))
    assert "never-shown" not in str(raised.value)


def test_an_unreachable_endpoint_is_an_error_that_names_it(aws_secrets: LocalSecrets) -> None:
    """Connection refused (after the retries) names the service and the endpoint."""
    endpoint = f"http://127.0.0.1:{closed_port()}"
    environment = {**aws_secrets.environment, "AWS_ENDPOINT_URL_SECRETS_MANAGER": endpoint}
    with pytest.raises(
        ReferenceNotResolved, match=f"Secrets Manager could not be reached at {endpoint}"
    ):
        build_store(environment).fetch(Secret(id="x"))


def test_a_certificate_no_trusted_authority_signed_names_the_authorities(
    dynamodb_over_tls: TlsDynamoDb, tmp_path: Path
) -> None:
    """An https endpoint (any TLS server will do) whose certificate fails verification."""
    stranger = tmp_path / "stranger.pem"
    trustme.CA().cert_pem.write_to_path(str(stranger))
    store = AwsSecretStore(
        region=REGION,
        credentials=Credentials(access_key="testing", secret_key="testing"),  # noqa: S106
        secrets_manager_endpoint=dynamodb_over_tls.endpoint,
        ca_certs=str(stranger),
    )
    with pytest.raises(ReferenceNotResolved, match="certificate verify failed") as raised:
        store.fetch(Secret(id="x"))
    assert f"the certificate authorities trusted are those in {stranger}" in str(raised.value)


def test_a_binary_secret_is_an_error(aws_secrets: LocalSecrets) -> None:
    """Only a SecretString can go into a variable."""
    name, _ = aws_secrets.secret("placeholder")
    aws_secrets.secretsmanager.put_secret_value(SecretId=name, SecretBinary=b"\x00\x01")
    with pytest.raises(ReferenceNotResolved, match="SecretBinary"):
        store_for(aws_secrets).fetch(Secret(id=name))


@pytest.mark.parametrize(
    ("missing", "said"),
    [
        ("AWS_REGION", "AWS_REGION is not set"),
        ("AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID is not set"),
        ("AWS_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY is not set"),
    ],
)
def test_without_a_region_or_credentials_every_fetch_says_what_is_missing(
    aws_secrets: LocalSecrets, missing: str, said: str
) -> None:
    """Nothing is sent; the error says which variable to set."""
    environment = {k: v for k, v in aws_secrets.environment.items() if k != missing}
    with pytest.raises(ReferenceNotResolved, match=said):
        build_store(environment).fetch(Secret(id="x"))


def test_the_general_endpoint_variable_serves_both_services(aws_secrets: LocalSecrets) -> None:
    """AWS_ENDPOINT_URL applies where no service-specific variable is set, as in the SDKs."""
    name, _ = aws_secrets.secret("via-general")
    parameter = aws_secrets.parameter("also-general")
    environment = {
        "AWS_ENDPOINT_URL": aws_secrets.endpoint,
        "AWS_DEFAULT_REGION": REGION,
        **CREDENTIALS,
    }
    store = build_store(environment)
    assert store.fetch(Secret(id=name)) == "via-general"
    assert store.fetch(Parameter(name=parameter)) == "also-general"


def test_an_endpoint_that_is_not_a_url_is_an_error(aws_secrets: LocalSecrets) -> None:
    """A host:port without a scheme is refused with an example of a valid one."""
    environment = {**aws_secrets.environment, "AWS_ENDPOINT_URL_SSM": "127.0.0.1:4566"}
    with pytest.raises(ReferenceNotResolved, match="not valid: give a URL"):
        build_store(environment).fetch(Parameter(name="/x"))


def test_requests_are_signed_for_each_service_and_throttling_is_retried(
    httpserver: HTTPServer,
) -> None:
    """JSON 1.1 calls signed for `secretsmanager` and `ssm`; a ThrottlingException is retried."""
    seen: list[Request] = []
    answers = [
        Response(json.dumps({"__type": "ThrottlingException", "message": "slow down"}), 400),
        Response(json.dumps({"SecretString": "after-throttling"}), 200),
        Response(json.dumps({"Parameter": {"Value": "param"}}), 200),
    ]

    def answer(request: Request) -> Response:
        seen.append(request)
        return answers[len(seen) - 1]

    httpserver.expect_request("/", method="POST").respond_with_handler(answer)
    endpoint = httpserver.url_for("/").rstrip("/")
    store = AwsSecretStore(
        region=REGION,
        credentials=Credentials(access_key="testing", secret_key="testing"),  # noqa: S106
        secrets_manager_endpoint=endpoint,
        ssm_endpoint=endpoint,
    )
    assert store.fetch(Secret(id="s", version_stage="AWSPENDING")) == "after-throttling"
    assert store.fetch(Parameter(name="/p", version="2")) == "param"
    assert [r.headers["X-Amz-Target"] for r in seen] == [
        "secretsmanager.GetSecretValue",
        "secretsmanager.GetSecretValue",
        "AmazonSSM.GetParameter",
    ]
    assert all(r.headers["Content-Type"] == "application/x-amz-json-1.1" for r in seen)
    assert f"/{REGION}/secretsmanager/aws4_request" in seen[0].headers["Authorization"]
    assert f"/{REGION}/ssm/aws4_request" in seen[2].headers["Authorization"]
    assert json.loads(seen[0].data) == {"SecretId": "s", "VersionStage": "AWSPENDING"}
    assert json.loads(seen[2].data) == {"Name": "/p:2", "WithDecryption": True}


def test_one_store_serves_several_workers_at_once(aws_secrets: LocalSecrets) -> None:
    """Concurrent invocations (Managed Instances' workers) each get their own values."""
    names = [aws_secrets.secret(f"worker-{n}")[0] for n in range(8)]
    store = store_for(aws_secrets)

    def resolve_one(n: int) -> str:
        reference = f"{{{{resolve:secretsmanager:{names[n]}}}}}"
        return resolve({"V": f"{n}={reference}"}, store).environment["V"]

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(resolve_one, list(range(8)) * 4))
    assert answers == [f"{n}=worker-{n}" for n in range(8)] * 4

"""The DynamoDB store over https, and which certificate authorities it trusts where."""

from __future__ import annotations

from pathlib import Path

import pytest
import trustme

from run_command_on_aws_lambda.adapters.aws.trust import trusted_authorities
from run_command_on_aws_lambda.adapters.idempotency.dynamodb import DynamoDbStore
from run_command_on_aws_lambda.domain.errors import StoreUnavailable
from tests.local_dynamodb import REGION, LocalDynamoDb, TlsDynamoDb

from .test_dynamodb_store import DUMMY, NOW_MS, in_progress


def test_the_store_claims_a_key_over_https_trusting_the_given_authority(
    dynamodb: LocalDynamoDb, dynamodb_over_tls: TlsDynamoDb, tmp_path: Path
) -> None:
    """With the server's authority as `ca_certs`, the TLS handshake and the claim succeed."""
    table = dynamodb.create_table()
    authority = tmp_path / "authority.pem"
    authority.write_bytes(dynamodb_over_tls.authority_pem)
    store = DynamoDbStore(
        table.name,
        region=REGION,
        credentials=DUMMY,
        endpoint=dynamodb_over_tls.endpoint,
        ca_certs=str(authority),
    )
    assert store.claim(in_progress(), now_ms=NOW_MS) is None
    assert store.read("migrate-4.2") == in_progress()


def test_a_certificate_no_trusted_authority_signed_is_an_error_naming_them(
    dynamodb: LocalDynamoDb, dynamodb_over_tls: TlsDynamoDb, tmp_path: Path
) -> None:
    """Another authority than the server's: the store is unavailable, and says which were used."""
    table = dynamodb.create_table()
    stranger = tmp_path / "stranger.pem"
    trustme.CA().cert_pem.write_to_path(str(stranger))
    store = DynamoDbStore(
        table.name,
        region=REGION,
        credentials=DUMMY,
        endpoint=dynamodb_over_tls.endpoint,
        ca_certs=str(stranger),
    )
    with pytest.raises(StoreUnavailable, match="certificate verify failed") as raised:
        store.claim(in_progress(), now_ms=NOW_MS)
    assert f"the certificate authorities trusted are those in {stranger}" in str(raised.value)
    assert table.items() == []


@pytest.fixture
def places(tmp_path: Path) -> dict[str, str]:
    """Where the authorities could be: OpenSSL's own file and folder, two images' bundles, the
    build's bundle; none of them exists yet."""
    return {name: str(tmp_path / name) for name in ("cafile", "capath", "a", "b", "bundled")}


def choose(places: dict[str, str], environ: dict[str, str] | None = None) -> str | None:
    return trusted_authorities(
        environ or {},
        openssl_defaults=(places["cafile"], places["capath"]),
        system_bundles=(places["a"], places["b"]),
        bundled=places["bundled"],
    )


def test_the_images_bundle_is_preferred_to_the_builds(places: dict[str, str]) -> None:
    """OpenSSL's own file first, then the image's bundles in order, then the build's own."""
    for name in ("bundled", "b", "a", "cafile"):
        Path(places[name]).write_text("certificates")
        assert choose(places) == places[name]


def test_a_folder_of_hashed_certificates_is_left_to_openssl(places: dict[str, str]) -> None:
    """OpenSSL's folder holding certificates wins over the build's bundle (None: its defaults)."""
    Path(places["bundled"]).write_text("certificates")
    Path(places["capath"]).mkdir()
    assert choose(places) == places["bundled"]  # an empty folder does not count
    (Path(places["capath"]) / "1a2b3c4d.0").write_text("certificate")
    assert choose(places) is None


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "SSL_CERT_DIR"])
def test_the_environment_names_the_authorities_itself(
    places: dict[str, str], variable: str
) -> None:
    """SSL_CERT_FILE or SSL_CERT_DIR set: OpenSSL's defaults, which read them, and nothing else."""
    Path(places["a"]).write_text("certificates")
    assert choose(places, {variable: "/etc/company-ca.pem"}) is None
    assert choose(places, {variable: ""}) == places["a"]


def test_with_no_authorities_anywhere_openssl_has_the_last_word(places: dict[str, str]) -> None:
    """Nothing found (not even the build's bundle, as outside the standalone build): None."""
    assert choose(places) is None

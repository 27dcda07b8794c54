"""Adapter: the certificate authorities an AWS endpoint is checked against, image by image.

urllib3 asks OpenSSL for its default locations: SSL_CERT_FILE and SSL_CERT_DIR when set, else
the folder OpenSSL was compiled with. The standalone build's OpenSSL comes from the machine it
was built on (Debian's looks in /usr/lib/ssl), which need not be where the image keeps its
certificates (Amazon Linux keeps them in /etc/pki), and slim images have none at all. So,
unless the environment names them, the clients take the image's own bundle from where each
Linux family keeps it, and only then the one the standalone build carries (Mozilla's, from
certifi, as botocore carries one).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

# Where Linux distributions keep all their authorities in one file (the list Go's crypto/x509
# searches): Debian, Ubuntu and Alpine; Amazon Linux, Fedora and RHEL; openSUSE; CentOS 7;
# Alpine and OpenSSL's own default name.
SYSTEM_BUNDLES = (
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
)
ENVIRONMENT_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR")


def bundled_authorities() -> str | None:
    """The CA bundle the standalone build carries in its TLS folder; `None` elsewhere."""
    build = getattr(sys, "_MEIPASS", None)
    return os.path.join(build, "tls", "cacert.pem") if isinstance(build, str) else None


def trusted_authorities(
    environ: Mapping[str, str],
    *,
    openssl_defaults: tuple[str, str] | None = None,
    system_bundles: Sequence[str] = SYSTEM_BUNDLES,
    bundled: str | None = None,
) -> str | None:
    """The CA file to check the server with, or `None` for OpenSSL's default locations.

    `openssl_defaults` is OpenSSL's compiled-in (file, folder); `bundled` the last resort.
    """
    if any(environ.get(name) for name in ENVIRONMENT_VARIABLES):
        return None  # OpenSSL reads them itself; they are the user's word
    if openssl_defaults is None:
        import ssl  # noqa: PLC0415 - only for https: with an http endpoint ssl may be missing

        paths = ssl.get_default_verify_paths()
        openssl_defaults = (paths.openssl_cafile, paths.openssl_capath)
    cafile, capath = openssl_defaults
    for candidate in (cafile, *system_bundles):
        if os.path.isfile(candidate):
            return candidate
    if os.path.isdir(capath) and os.listdir(capath):
        return None  # a folder of hashed certificates, which OpenSSL reads by default
    if bundled is not None and os.path.isfile(bundled):
        return bundled
    return None

# Wrap any image with run-command-on-aws-lambda: docs/container-images.md tells how.
#
#   docker build -t run-command-on-aws-lambda .
#   docker build --build-arg BASE_IMAGE=vendor.example/db-migrations:4.2 -t migrations .
#
# The builder makes the standalone build (PyInstaller, one directory, no Python needed where it
# runs). It needs a glibc no newer than the final image's: Debian 11's (2.31) reaches Amazon
# Linux 2023, Ubuntu 20.04 and Debian 11 onwards. For Alpine and other musl images, build on a
# musl Python image: --build-arg PYTHON_IMAGE=python:3.11-alpine --build-arg BASE_IMAGE=alpine:3.20
ARG PYTHON_IMAGE=python:3.11-slim-bullseye
ARG BASE_IMAGE=debian:bookworm-slim

FROM ${PYTHON_IMAGE} AS builder
SHELL ["/bin/sh", "-eu", "-c"]
# PyInstaller needs objdump and strip from binutils. Versions are left to the builder's
# distribution, which is itself chosen by a build argument.
# hadolint ignore=DL3008,DL3018
RUN if command -v apk >/dev/null; then \
        apk add --no-cache binutils; \
    else \
        apt-get update; \
        apt-get install -y --no-install-recommends binutils; \
        rm -rf /var/lib/apt/lists/*; \
    fi
WORKDIR /source
COPY pyproject.toml setup.py README.md ./
COPY packaging/ packaging/
COPY src/ src/
# This checkout itself; its dependencies are bounded in pyproject.toml.
# hadolint ignore=DL3013
RUN python -m pip install --no-cache-dir --root-user-action=ignore '.[standalone]'; \
    pyinstaller --noconfirm --clean --log-level WARN \
        --distpath /dist --workpath /tmp/standalone packaging/standalone.spec

FROM ${BASE_IMAGE}
COPY --from=builder /dist/run-command-on-aws-lambda/ /opt/run-command-on-aws-lambda/
# Lambda starts the ENTRYPOINT with the image's CMD as arguments: a CMD given after this line
# (or the function's image_config command) becomes the default command of every event.
ENTRYPOINT ["/opt/run-command-on-aws-lambda/run-command-on-aws-lambda"]

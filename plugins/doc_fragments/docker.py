# Copyright (c) fanout.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection options shared by every module that talks to a Docker engine."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  docker_host:
    description:
      - The Docker engine to talk to, as a URL (V(unix:///var/run/docker.sock), V(tcp://192.0.2.10:2376),
        V(ssh://user@host)).
      - If not set, the environment variable E(DOCKER_HOST) is used, and then the local Unix socket.
    type: str
    default: unix:///var/run/docker.sock
    aliases: [docker_url]
  tls:
    description:
      - Talk TLS to a V(tcp://) engine without checking its certificate. Prefer O(validate_certs=true).
      - If not set, the environment variable E(DOCKER_TLS) is used.
      - Ignored, with a warning, for V(unix://), V(ssh://), V(npipe://) and V(fd://) hosts (also O(validate_certs)).
    type: bool
    default: false
  validate_certs:
    description:
      - Talk TLS to the engine and check its certificate against O(ca_path).
      - If not set, the environment variable E(DOCKER_TLS_VERIFY) is used.
    type: bool
    default: false
    aliases: [tls_verify]
  ca_path:
    description:
      - CA certificate that signed the engine's certificate.
      - If not set and E(DOCKER_CERT_PATH) is set, C(ca.pem) in that directory is used.
    type: path
    aliases: [ca_cert, tls_ca_cert, cacert_path]
  client_cert:
    description:
      - Client certificate presented to the engine.
      - If not set and E(DOCKER_CERT_PATH) is set, C(cert.pem) in that directory is used.
    type: path
    aliases: [tls_client_cert, cert_path]
  client_key:
    description:
      - Key of O(client_cert).
      - If not set and E(DOCKER_CERT_PATH) is set, C(key.pem) in that directory is used.
    type: path
    aliases: [tls_client_key, key_path]
  tls_hostname:
    description:
      - Name expected in the engine's certificate; defaults to the host part of O(docker_host).
      - If not set, the environment variable E(DOCKER_TLS_HOSTNAME) is used.
    type: str
  api_version:
    description:
      - Engine API version to speak, or V(auto) to use the engine's own.
      - If not set, the environment variable E(DOCKER_API_VERSION) is used.
    type: str
    default: auto
    aliases: [docker_api_version]
  timeout:
    description:
      - Seconds to wait for each answer from the engine API.
      - If not set, the environment variable E(DOCKER_TIMEOUT) is used.
    type: int
    default: 60
requirements:
  - docker (the Docker SDK for Python) >= 7.0.0
  - requests
"""

# Copyright (c) fanout.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module options -> a Docker engine client, and the one place engine errors become messages."""

from __future__ import annotations

import errno
import http.client
import json
import os
import socket
import ssl
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

from ansible.module_utils.basic import env_fallback, missing_required_lib

try:
    import docker
    import requests
    from docker.errors import APIError, DockerException, NotFound
    from docker.transport import UnixHTTPAdapter

    HTTPAdapter = requests.adapters.HTTPAdapter
    HAS_DOCKER = True
    DOCKER_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported through fail_json
    HAS_DOCKER = False
    DOCKER_IMPORT_ERROR = exc
    UnixHTTPAdapter = HTTPAdapter = object  # type: ignore[assignment,misc]

DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"

DOCKER_COMMON_ARGS = dict(
    docker_host=dict(type="str", default=DEFAULT_DOCKER_HOST, fallback=(env_fallback, ["DOCKER_HOST"]), aliases=["docker_url"]),
    tls=dict(type="bool", default=False, fallback=(env_fallback, ["DOCKER_TLS"])),
    validate_certs=dict(type="bool", default=False, fallback=(env_fallback, ["DOCKER_TLS_VERIFY"]), aliases=["tls_verify"]),
    ca_path=dict(type="path", aliases=["ca_cert", "tls_ca_cert", "cacert_path"]),
    client_cert=dict(type="path", aliases=["tls_client_cert", "cert_path"]),
    client_key=dict(type="path", aliases=["tls_client_key", "key_path"], no_log=False),
    tls_hostname=dict(type="str", fallback=(env_fallback, ["DOCKER_TLS_HOSTNAME"])),
    api_version=dict(type="str", default="auto", fallback=(env_fallback, ["DOCKER_API_VERSION"]), aliases=["docker_api_version"]),
    timeout=dict(type="int", default=60, fallback=(env_fallback, ["DOCKER_TIMEOUT"])),
)

# How many inspect calls run at once. The cost is JSON decoding on the controller side, so
# more threads than this buy nothing on small machines (see benchmarks/).
INSPECT_WORKERS = 4


class EngineError(Exception):
    """An engine call failed; the message names the engine and what to do about it."""


class EngineObjectGone(EngineError):
    """The container or network a call named is gone (404): removed by someone else meanwhile."""


class EngineHTTPError(Exception):
    """The engine answered a read with an error status; the message is the engine's."""

    def __init__(self, status, message):
        super().__init__(f"{status} {message}")
        self.status = status


class _UnixSocketReader:
    """GETs over one keep-alive standard-library connection to the engine's Unix socket.

    Reads are the module's hot path (one inspect per container). http.client on one connection
    costs less than half of what requests + the SDK cost per call, and needs no threads
    (benchmarks/bench_facts.py). Writes and every other transport stay with the SDK.
    """

    def __init__(self, path, timeout):
        self._path = path
        self._timeout = timeout
        self._conn = None
        self.prefix = ""

    def _connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self._timeout)
        try:
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        conn = http.client.HTTPConnection("localhost", timeout=self._timeout)
        conn.sock = sock
        return conn

    def get(self, path):
        """The decoded JSON body, or None on 404 (the object is gone)."""
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = self._connect()
            try:
                self._conn.request("GET", self.prefix + path)
                response = self._conn.getresponse()
                body = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The engine closed an idle keep-alive connection: one retry on a fresh one.
                self.close()
                if attempt == 2:
                    raise
        if response.status == 404:
            return None
        if response.status >= 300:
            try:
                message = json.loads(body).get("message") or body.decode(errors="replace")
            except ValueError:
                message = body.decode(errors="replace")
            raise EngineHTTPError(response.status, message)
        return json.loads(body)

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class _OneSocketUnixAdapter(UnixHTTPAdapter):  # type: ignore[misc,valid-type]
    """The SDK keys its Unix-socket pools by full URL, so every distinct path opens a new
    connection. One pool per socket lets all calls share keep-alive connections."""

    def get_connection(self, url, proxies=None):
        return super().get_connection("http+docker://localhost", proxies)


def check_common_args(module):
    """Fail early, naming the option, on connection options that cannot work."""
    if not HAS_DOCKER:
        module.fail_json(msg=missing_required_lib("docker (the Docker SDK for Python)"), exception=str(DOCKER_IMPORT_ERROR))
    params = module.params
    host = params["docker_host"]
    if not host or not host.strip():
        module.fail_json(msg="docker_host: must not be empty (e.g. unix:///var/run/docker.sock)")
    if not host.startswith(("unix://", "tcp://", "http://", "https://", "ssh://", "npipe://", "fd://")):
        module.fail_json(msg=f"docker_host: {host!r} is not a Docker host URL (unix://, tcp://, ssh://, ...)")
    if params["timeout"] is not None and params["timeout"] <= 0:
        module.fail_json(msg=f"timeout: must be a positive number of seconds, got {params['timeout']}")
    for option in ("ca_path", "client_cert", "client_key"):
        path = params.get(option)
        if path and not os.path.isfile(path):
            module.fail_json(msg=f"{option}: {path} is not a readable file")
    if bool(params.get("client_cert")) != bool(params.get("client_key")):
        module.fail_json(msg="client_cert and client_key: give both or neither")
    # A warning, not a failure: DOCKER_TLS_VERIFY in the environment sets these for every host.
    if (params["tls"] or params["validate_certs"]) and host.startswith(("unix://", "ssh://", "npipe://", "fd://")):
        module.warn(f"tls and validate_certs: ignored for docker_host {host} (TLS applies to tcp:// and https:// engines only)")


def _tls_config(params):
    cert_dir = os.environ.get("DOCKER_CERT_PATH")
    ca = params.get("ca_path") or (cert_dir and os.path.join(cert_dir, "ca.pem"))
    cert = params.get("client_cert") or (cert_dir and os.path.join(cert_dir, "cert.pem"))
    key = params.get("client_key") or (cert_dir and os.path.join(cert_dir, "key.pem"))
    if not (params["tls"] or params["validate_certs"]):
        return False
    return docker.tls.TLSConfig(
        client_cert=(cert, key) if cert and key and os.path.isfile(cert) else None,
        ca_cert=ca if params["validate_certs"] and ca and os.path.isfile(ca) else None,
        verify=(ca if ca and os.path.isfile(ca) else True) if params["validate_certs"] else False,
    )


class _TLSHostnameAdapter(HTTPAdapter):  # type: ignore[misc,valid-type]
    """Checks the engine's certificate against tls_hostname instead of the URL's host
    (the SDK dropped assert_hostname in 7.0)."""

    def __init__(self, hostname):
        self._hostname = hostname
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["assert_hostname"] = self._hostname
        super().init_poolmanager(*args, **kwargs)


def _root_cause(exc):
    """The innermost OS-level error behind a requests/urllib3/SDK exception chain."""
    seen = set()
    stack = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen or current is None:
            continue
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno is not None:
            return current
        if isinstance(current, (socket.timeout, TimeoutError)):
            return current
        stack.extend([current.__cause__, current.__context__])
        stack.extend(arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException))
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            stack.append(reason)
    return exc


def describe_engine_error(host, exc):
    """One message that names the engine, what went wrong and what to do."""
    cause = _root_cause(exc)
    text = str(exc)
    # SSLError is an OSError whose errno is the SSL error code (1 looks like EPERM): test it first.
    if isinstance(cause, ssl.SSLError) or "SSL" in text or "CERTIFICATE" in text.upper():
        detail = cause if isinstance(cause, ssl.SSLError) else text
        return f"Docker engine at {host}: TLS failed ({detail}). Check ca_path, client_cert/client_key and tls_hostname."
    if isinstance(cause, FileNotFoundError) or getattr(cause, "errno", None) == errno.ENOENT:
        return f"Docker engine at {host}: the socket does not exist. Is dockerd running? Start it, or set docker_host to the engine's socket."
    if isinstance(cause, PermissionError) or getattr(cause, "errno", None) in (errno.EACCES, errno.EPERM):
        return f"Docker engine at {host}: permission denied on the socket. Run as root (become: true) or as a member of the socket's group (usually docker)."
    if isinstance(cause, ConnectionRefusedError) or getattr(cause, "errno", None) == errno.ECONNREFUSED:
        return f"Docker engine at {host}: connection refused. The engine is not running or not listening there; start dockerd or fix docker_host."
    if isinstance(cause, (socket.timeout, TimeoutError)) or "timed out" in text.lower():
        return f"Docker engine at {host}: no answer within the timeout. The engine is overloaded or unreachable; raise timeout or check the host."
    if isinstance(exc, (APIError, EngineHTTPError)) and "client version" in text.lower() and "too" in text.lower():
        return f"Docker engine at {host}: {text}. Set api_version to a version this engine supports, or auto."
    return f"Docker engine at {host}: {text}"


class EngineClient:
    """The few Engine API calls the modules make, with errors turned into EngineError."""

    def __init__(self, params):
        self.host = params["docker_host"]
        tls = _tls_config(params)
        hostname = params.get("tls_hostname") if tls else None
        version = params["api_version"]
        self._reader = None
        if self.host.startswith("unix://"):
            self._reader = _UnixSocketReader(self.host[len("unix://") :], params["timeout"])
            if version == "auto":
                # Negotiated on the reader's connection: the SDK then opens none for reads.
                version = self._read(lambda: self._reader.get("/version"))["ApiVersion"]
        try:
            # With tls_hostname the adapter must be mounted before the first request, so the
            # engine's version is asked for afterwards rather than by the constructor.
            self.api = docker.APIClient(
                base_url=self.host,
                version=docker.constants.DEFAULT_DOCKER_API_VERSION if hostname and version == "auto" else version,
                timeout=params["timeout"],
                tls=tls,
            )
            if hostname:
                self.api.mount("https://", _TLSHostnameAdapter(hostname))
                if version == "auto":
                    self.api._version = self.api.version(api_version=False)["ApiVersion"]  # pylint: disable=protected-access
        except (DockerException, requests.exceptions.RequestException) as exc:
            self.close()
            raise EngineError(describe_engine_error(self.host, exc)) from exc
        if self._reader is not None:
            self._reader.prefix = f"/v{self.api.api_version}"
        self._share_one_socket_pool()

    def _read(self, call):
        try:
            return call()
        except (OSError, http.client.HTTPException, EngineHTTPError, ValueError) as exc:
            self.close()
            raise EngineError(describe_engine_error(self.host, exc)) from exc

    def _share_one_socket_pool(self):
        adapter = self.api.get_adapter("http+docker://localhost/")
        if not isinstance(adapter, UnixHTTPAdapter):
            return
        shared = _OneSocketUnixAdapter("http+unix://" + adapter.socket_path, timeout=adapter.timeout, max_pool_size=INSPECT_WORKERS)
        self.api.mount("http+docker://", shared)
        adapter.close()

    @property
    def api_version(self):
        return self.api.api_version

    def _call(self, func, *args, **kwargs):
        try:
            return func(*args, **kwargs)
        except NotFound as exc:
            raise EngineObjectGone(describe_engine_error(self.host, exc)) from exc
        except (DockerException, requests.exceptions.RequestException) as exc:
            raise EngineError(describe_engine_error(self.host, exc)) from exc

    def list_containers(self):
        if self._reader is not None:
            return self._read(lambda: self._reader.get("/containers/json?all=1"))
        return self._call(self.api.containers, all=True)

    def list_networks(self):
        if self._reader is not None:
            return self._read(lambda: self._reader.get("/networks"))
        return self._call(self.api.networks)

    def _call_or_none(self, func, *args):
        """Like _call, but None when the object is gone (404): it may vanish between two calls."""
        try:
            return self._call(func, *args)
        except EngineObjectGone:
            return None

    def inspect_container(self, container_id):
        """The container's inspect payload, or None when it vanished since it was listed."""
        if self._reader is not None:
            return self._read(lambda: self._reader.get(f"/containers/{quote(container_id, safe='')}/json"))
        return self._call_or_none(self.api.inspect_container, container_id)

    def inspect_containers(self, container_ids, workers=INSPECT_WORKERS):
        """Inspect payloads by id, over a bounded pool; vanished containers map to None.
        On a Unix socket: one after another over the reader's one connection."""
        if self._reader is not None or workers <= 1 or len(container_ids) <= 1:
            return {cid: self.inspect_container(cid) for cid in container_ids}
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return dict(zip(container_ids, pool.map(self.inspect_container, container_ids)))

    def inspect_network(self, network_id):
        """The network's inspect payload, or None when it is gone."""
        return self._call_or_none(self.api.inspect_network, network_id)

    def stop_container(self, container_id, stop_timeout):
        """SIGTERM (or the container's stop signal), SIGKILL after stop_timeout seconds."""
        self._call(self.api.stop, container_id, timeout=stop_timeout)

    def remove_container(self, container_id):
        self._call(self.api.remove_container, container_id)

    def disconnect(self, container_id, network_id):
        self._call(self.api.disconnect_container_from_network, container_id, network_id)

    def remove_network(self, network_id):
        self._call(self.api.remove_network, network_id)

    def close(self):
        if self._reader is not None:
            self._reader.close()
        if getattr(self, "api", None) is not None:
            self.api.close()


def read_topology(client):
    """One container list, one network list and one inspect per container -> Topology."""
    from ._topology import build_topology

    listed = client.list_containers()
    networks = client.list_networks()
    inspected = client.inspect_containers([c["Id"] for c in listed])
    return build_topology(listed, inspected, networks)

"""Issue 19: read timeouts, the connection cap and protocol errors, through a real `faceprint serve`.

One server process with short timeouts (1 s) and a cap of 4 connections; raw sockets play
the slow or broken clients, and another client checks that the service still answers.
"""

from __future__ import annotations

import time

import pytest

from serve_helpers import ServeProcess, assert_envelope, read_until_closed, split_response

TIMEOUT = 1.0  # --header-timeout and --body-timeout of the server under test
SLACK = 3.0  # a loaded 2-core machine
CAP = 4
HEALTH = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with ServeProcess(tmp_path_factory.mktemp("serve"), "--header-timeout", str(TIMEOUT), "--body-timeout",
                      str(TIMEOUT), "--keep-alive", "2", "--max-connections", str(CAP)) as s:
        yield s


def _served(server: ServeProcess) -> None:
    status, _, _ = split_response(server.exchange(HEALTH))
    assert status == 200


def test_slow_headers_get_408_within_the_header_timeout(server):
    with server.connect() as slow:
        start = time.monotonic()
        slow.sendall(b"GET /healthz HTTP/1.1\r\n")
        try:
            for i, ch in enumerate(b"Host: localhost\r\n"):  # slowloris: a byte every 0.2 s does not restart the clock
                slow.sendall(bytes([ch]))
                time.sleep(0.2)
                if i == 1:
                    _served(server)  # others are served meanwhile
        except (BrokenPipeError, ConnectionResetError):
            pass  # closed by the server mid-trickle: what we want
        raw = read_until_closed(slow)
        elapsed = time.monotonic() - start
    assert TIMEOUT * 0.8 <= elapsed <= TIMEOUT + SLACK
    assert_envelope(raw, 408, "timeout")
    _served(server)


def test_a_connection_that_sends_nothing_is_closed_silently(server):
    with server.connect() as idle:
        start = time.monotonic()
        raw = read_until_closed(idle)
        elapsed = time.monotonic() - start
    assert raw == b""  # no 408 on an unused connection: a client might take it for its answer
    assert TIMEOUT * 0.8 <= elapsed <= TIMEOUT + SLACK


def test_a_stalled_body_gets_408_within_the_body_timeout(server):
    with server.connect() as slow:
        slow.sendall(b"POST /v1/detect HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data; "
                     b"boundary=x\r\nContent-Length: 5000\r\n\r\n--x\r\n")
        start = time.monotonic()
        for _ in range(3):  # pieces closer together than the timeout keep it alive
            time.sleep(TIMEOUT / 2)
            slow.sendall(b"Content-Disposition: form-data; name=\"image\"\r\n")
        raw = read_until_closed(slow)
        elapsed = time.monotonic() - start
    assert 1.5 * TIMEOUT * 0.8 + TIMEOUT * 0.8 <= elapsed <= 1.5 * TIMEOUT + TIMEOUT + SLACK
    assert_envelope(raw, 408, "timeout")
    _served(server)


@pytest.mark.parametrize("request_bytes, status, code", [
    (b"GET / HTTP/1.1 extra\r\nHost: localhost\r\n\r\n", 400, "bad_request"),
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400, "bad_request"),  # a TLS hello on the plain port
    (b"POST /v1/detect HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\n\r\n", 400, "bad_request"),
    (b"POST /v1/detect HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n",
     400, "bad_request"),
    (b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n", 431, "headers_too_large"),
], ids=["request-line", "tls-hello", "content-length-text", "content-length-twice", "huge-headers"])
def test_protocol_errors_answer_in_the_envelope(server, request_bytes, status, code):
    with server.connect() as s:
        try:
            s.sendall(request_bytes)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before the rest of a huge request
        raw = read_until_closed(s)
    error = assert_envelope(raw, status, code)
    assert "Traceback" not in error["message"]
    _served(server)


def test_connections_over_the_cap_get_503_busy_and_the_service_recovers(server):
    held = [server.connect() for _ in range(CAP)]
    try:
        time.sleep(0.2)  # the server has accepted them all
        raw = server.exchange(HEALTH)
        assert_envelope(raw, 503, "busy")
    finally:
        for s in held:
            s.close()
    deadline = time.monotonic() + SLACK
    while True:  # the server notices the closed sockets at once, but give it a moment
        status, _, _ = split_response(server.exchange(HEALTH))
        if status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert status == 200


def _one_response(sock) -> bytes:
    """One answer on a kept-alive connection (its Content-Length says where it ends)."""
    raw = b""
    while b"\r\n\r\n" not in raw:
        raw += sock.recv(65536)
    _, headers, payload = split_response(raw)
    while len(payload) < int(headers["content-length"]):
        payload += sock.recv(65536)
    return raw


def test_keep_alive_outlasts_the_header_timeout_and_clients_pool_expiry(server):
    """Between requests the keep-alive (2 s here) rules, not the header timeout (1 s): a client
    that idles 1.5 s reuses its connection. The default keep-alive outlasts httpx's pool expiry,
    so a client drops an idle connection before the server does (the race of issue 19)."""
    import httpx

    from faceprint.serve.config import ConnectionLimits

    get = b"GET /v1/identities HTTP/1.1\r\nHost: localhost\r\n\r\n"
    with server.connect() as s:
        s.sendall(get)
        assert split_response(_one_response(s))[0] == 200
        time.sleep(1.5)
        s.sendall(get)
        assert split_response(_one_response(s))[0] == 200
        start = time.monotonic()
        assert read_until_closed(s) == b""
        assert time.monotonic() - start <= 2 + SLACK
    assert ConnectionLimits().keep_alive_s > httpx.Limits().keepalive_expiry

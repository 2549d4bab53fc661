"""The small HTTP/1.1 exchange under webhook POSTs: what it writes, and every answer shape it reads."""

from __future__ import annotations

import http.client

import pytest
from support.rogue import Rogue

from pytest_lettr.clock import Clock
from pytest_lettr.webhooks.delivery import DeliveryEngine
from pytest_lettr.webhooks.http1 import MAX_HEAD, parse_response, request_bytes

LIMIT = 1024


def parsed(data: bytes, eof: bool = False, limit: int = LIMIT) -> tuple[int, dict[str, str], bytes, bool]:
    answer = parse_response(data, eof, limit)
    assert answer is not None, "the answer should be complete"
    return answer.status, answer.headers, answer.body, answer.reusable


# -- the request ----------------------------------------------------------------------------------
def test_the_request_is_one_piece_with_host_length_and_identity_added() -> None:
    data = request_bytes("POST", "/hooks?a=1", "127.0.0.1:8000", b'{"x":1}', {"Lettr-Event-Id": "evt_1"})
    head, _, body = data.partition(b"\r\n\r\n")
    assert body == b'{"x":1}'
    assert head.split(b"\r\n") == [b"POST /hooks?a=1 HTTP/1.1", b"Host: 127.0.0.1:8000",
                                   b"Accept-Encoding: identity", b"Lettr-Event-Id: evt_1", b"Content-Length: 7"]


def test_headers_the_caller_gives_are_not_added_twice() -> None:
    data = request_bytes("POST", "/", "h", b"", {"host": "other", "Content-Length": "0",
                                                 "Accept-Encoding": "gzip"})
    head = data.decode("latin-1").lower()
    assert head.count("host:") == head.count("content-length:") == head.count("accept-encoding:") == 1
    assert "host: other" in head and "gzip" in head


# -- answers --------------------------------------------------------------------------------------
def test_a_sized_answer_on_a_kept_connection() -> None:
    status, headers, body, reusable = parsed(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: b\r\n\r\nok")
    assert (status, headers, body, reusable) == (200, {"Content-Length": "2", "X-A": "b"}, b"ok", True)


def test_an_answer_is_incomplete_until_its_last_byte() -> None:
    whole = b"HTTP/1.1 201 Created\r\nContent-Length: 5\r\n\r\nhello"
    assert all(parse_response(whole[:cut], False, LIMIT) is None for cut in range(len(whole)))
    assert parsed(whole)[2] == b"hello"


def test_a_chunked_answer_with_extensions_and_trailers() -> None:
    data = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"4;name=x\r\nWiki\r\n5\r\npedia\r\n0\r\nX-Trailer: t\r\n\r\n")
    status, _, body, reusable = parsed(data)
    assert (status, body, reusable) == (200, b"Wikipedia", True)
    assert parse_response(data[:-2], False, LIMIT) is None


def test_interim_answers_are_skipped() -> None:
    data = (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n"
            b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
    assert parsed(data)[0] == 202


def test_lf_only_lines_folded_values_and_repeated_names() -> None:
    data = b"HTTP/1.1 200 OK\nX-Long: one\n two\nX-Twice: a\nX-Twice: b\nno colon here\nContent-Length: 0\n\n"
    _, headers, _, reusable = parsed(data)
    assert headers["X-Long"] == "one two" and headers["X-Twice"] == "b" and reusable
    assert list(headers) == ["X-Long", "X-Twice", "Content-Length"]


def test_headers_that_are_not_latin1_text_stay_readable() -> None:
    _, headers, _, _ = parsed(b"HTTP/1.1 200 OK\r\nX-Name: caf\xc3\xa9\r\nContent-Length: 0\r\n\r\n")
    assert headers["X-Name"] == "caf\xc3\xa9"


@pytest.mark.parametrize(("head", "reusable"), [
    (b"HTTP/1.1 204 No Content\r\n", True),
    (b"HTTP/1.1 204 No Content\r\nConnection: close\r\n", False),
    (b"HTTP/1.1 204 No Content\r\nConnection: Upgrade, Close\r\n", False),
    (b"HTTP/1.0 204 No Content\r\n", False),
    (b"HTTP/1.0 204 No Content\r\nConnection: keep-alive\r\n", True),
])
def test_whether_the_connection_may_carry_the_next_post(head: bytes, reusable: bool) -> None:
    assert parsed(head + b"\r\n")[3] is reusable


def test_an_answer_without_length_ends_when_the_peer_closes() -> None:
    data = b"HTTP/1.1 200 OK\r\n\r\nall of it"
    assert parse_response(data, False, LIMIT) is None
    assert parsed(data, eof=True)[2:] == (b"all of it", False)


def test_only_the_limit_of_a_long_body_is_kept_and_the_connection_is_dropped() -> None:
    sized = b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + b"x" * LIMIT
    assert parsed(sized)[2:] == (b"x" * LIMIT, False)
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"%x\r\n" % 3000 + b"y" * LIMIT
    assert parsed(chunked)[2:] == (b"y" * LIMIT, False)


def test_a_body_cut_short_keeps_what_came() -> None:
    assert parsed(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", eof=True)[2:] == (b"abc", False)


def test_bytes_after_the_answer_make_the_connection_unusable() -> None:
    assert parsed(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200")[3] is False


@pytest.mark.parametrize(("data", "error"), [
    (b"", http.client.RemoteDisconnected),
    (b"\r\n", http.client.RemoteDisconnected),
    (b"SMTP ready\r\n\r\n", http.client.BadStatusLine),
    (b"HTTP/1.1 20 OK\r\n\r\n", http.client.BadStatusLine),
    (b"HTTP/1.1 200 OK\r\nContent-Le", http.client.BadStatusLine),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", http.client.IncompleteRead),
])
def test_what_is_not_an_answer_raises_http_clients_errors(data: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_response(data, True, LIMIT)


def test_a_head_without_end_is_refused_before_it_grows_without_bound() -> None:
    with pytest.raises(http.client.LineTooLong):
        parse_response(b"HTTP/1.1 200 OK\r\nX: " + b"a" * (MAX_HEAD + 1), False, LIMIT)


# -- through the wire -----------------------------------------------------------------------------
@pytest.mark.parametrize(("answer", "status", "body"), [
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
     200, b"abcde"),
    (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\nok", 202, b"ok"),
    (b"HTTP/1.0 200 OK\r\n\r\nuntil close", 200, b"until close"),
])
def test_a_receiver_answering_in_any_shape_is_read(answer: bytes, status: int, body: bytes) -> None:
    engine = DeliveryEngine(Clock(), lambda: "del_1", timeout=5.0)
    with Rogue(answer=answer) as peer:
        delivery = engine.deliver(peer.url + "/h", b"{}", {"X-Test": "1"})
        (request,) = peer.requests
    attempt = delivery.attempts[0]
    assert (attempt.response_code, attempt.response_body, delivery.status) == (status, body, "succeeded")
    head, _, sent = request.partition(b"\r\n\r\n")
    assert sent == b"{}" and b"\r\nX-Test: 1" in head and b"\r\nContent-Length: 2" in head
    engine.shutdown()

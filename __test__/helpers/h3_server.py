"""An HTTP/3 upload receiver for the tests (aioquic, pinned in __test__/helpers/h3-requirements.txt).

    python h3_server.py CERT_FILE KEY_FILE [MAX_STREAMS]

Listens on 127.0.0.1, a free UDP port (allowing MAX_STREAMS request streams at once per
connection, aioquic's 128 by default), and prints one JSON line per event on stdout:
{"event": "ready", "port": N} once listening, then for each request stream
{"event": "end" | "reset", "path", "bytes", "contentLength"} when its body ended or the client
reset it. Each request is answered when its body ends, with JSON: the HTTP version, method,
path, headers, byte count of the body, and the multipart parts (text fields; the file part's
name, filename, byte count and sha256; whether the closing delimiter came). The path picks a
behaviour:

    /stall     after the request's headers, the server reads nothing more from that connection
               (its datagrams are dropped: no acknowledgement, no flow control credit)
    /silent    receives the whole body and never answers
    /redirect  answers 307 (Location: /up) when the body ended
    /see-other answers 303 (Location: /after) when the body ended
    /slow      answers 2.5 s after the body ended
    /early     answers 413 as soon as the headers arrive, before the body
    /busy      answers the first request 503 (Retry-After: 0) when its body ended, then as above
    anything else: receive and answer as above
"""

import asyncio
import hashlib
import json
import re
import sys
import time

from aioquic.asyncio import QuicConnectionProtocol, serve
from aioquic.h3.connection import H3_ALPN, H3Connection
from aioquic.h3.events import DataReceived, HeadersReceived
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.events import ProtocolNegotiated, StreamDataReceived, StreamReset


# Request streams open at once per connection (argv[3]); None: aioquic's default.
MAX_STREAMS = int(sys.argv[3]) if len(sys.argv) > 3 else None

# Whether /busy already answered its one 503 (for the whole server).
BUSY_ANSWERED = []


def emit(**event):
    print(json.dumps(event), flush=True)


class Multipart:
    """Reads a multipart body whose last part is the file, hashing the file as it streams."""

    def __init__(self, boundary):
        self.delimiter = b"--" + boundary
        self.closing = b"\r\n--" + boundary + b"--\r\n"
        self.head = b""
        self.fields = {}
        self.file = None
        self.sha = hashlib.sha256()
        self.file_bytes = 0
        self.held = b""

    def feed(self, data):
        if self.file is None:
            self.head += data
            start = self.head.find(b'filename="')
            end = self.head.find(b"\r\n\r\n", start) if start >= 0 else -1
            if end < 0:
                return
            self.parts(self.head[:end])
            data, self.head = self.head[end + 4 :], b""
        held = self.held + data
        keep = len(self.closing)
        if len(held) > keep:
            self.sha.update(held[:-keep])
            self.file_bytes += len(held) - keep
            held = held[-keep:]
        self.held = held

    def parts(self, head):
        for part in head.split(self.delimiter)[1:]:
            header, _, value = part.partition(b"\r\n\r\n")
            name = re.search(rb'name="([^"]*)"', header)
            filename = re.search(rb'filename="([^"]*)"', header)
            if filename:
                self.file = {"name": name.group(1).decode(), "filename": filename.group(1).decode()}
            elif name:
                self.fields[name.group(1).decode()] = value[:-2].decode()

    def result(self):
        file = dict(self.file or {}, bytes=self.file_bytes, sha256=self.sha.hexdigest())
        return {"fields": self.fields, "file": file, "closed": self.held == self.closing}


class Request:
    def __init__(self, headers):
        self.headers = {k.decode(): v.decode() for k, v in headers}
        self.bytes = 0
        self.answered = False
        self.cpu = time.process_time()
        found = re.search(r"boundary=([^;]+)", self.headers.get("content-type", ""))
        self.multipart = Multipart(found.group(1).strip('"').encode()) if found else None

    def feed(self, data):
        self.bytes += len(data)
        if self.multipart:
            self.multipart.feed(data)

    def summary(self):
        length = self.headers.get("content-length")
        return {
            "path": self.headers.get(":path"),
            "bytes": self.bytes,
            "contentLength": int(length) if length else None,
        }


class Receiver(QuicConnectionProtocol):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.http = None
        self.requests = {}
        self.stalled = False
        if MAX_STREAMS:
            # The connection's limit on request streams open at once (sent in the handshake).
            limit = self._quic._local_max_streams_bidi
            limit.value = limit.sent = MAX_STREAMS

    def datagram_received(self, data, addr):
        if not self.stalled:
            super().datagram_received(data, addr)

    def quic_event_received(self, event):
        if isinstance(event, ProtocolNegotiated) and event.alpn_protocol in H3_ALPN:
            self.http = H3Connection(self._quic)
        if isinstance(event, StreamReset) and event.stream_id in self.requests:
            emit(event="reset", **self.requests.pop(event.stream_id).summary())
        if self.http is None:
            return
        for http_event in self.http.handle_event(event):
            self.on_http(http_event)
        # A stream that ended inside an HTTP/3 frame (a body cut short) ends no HTTP/3 event.
        if isinstance(event, StreamDataReceived) and event.end_stream and event.stream_id in self.requests:
            emit(event="end", **self.requests.pop(event.stream_id).summary())

    def on_http(self, event):
        if isinstance(event, HeadersReceived):
            request = self.requests[event.stream_id] = Request(event.headers)
            path = request.headers.get(":path")
            if path == "/stall":
                self.stalled = True
            elif path == "/early":
                # Answered at once, before the body.
                request.answered = True
                self.respond(event.stream_id, b"413", b"too large", [(b"content-type", b"text/plain")])
        elif isinstance(event, DataReceived) and event.stream_id in self.requests:
            self.requests[event.stream_id].feed(event.data)
        else:
            return
        if event.stream_ended:
            request = self.requests.pop(event.stream_id)
            emit(event="end", **request.summary())
            if request.headers.get(":path") == "/redirect":
                self.respond(event.stream_id, b"307", b"", [(b"location", b"/up")])
            elif request.headers.get(":path") == "/slow":
                asyncio.get_running_loop().call_later(2.5, self.answer, event.stream_id, request)
            elif request.headers.get(":path") == "/see-other":
                self.respond(event.stream_id, b"303", b"", [(b"location", b"/after")])
            elif request.headers.get(":path") == "/busy" and not BUSY_ANSWERED:
                BUSY_ANSWERED.append(True)
                self.respond(event.stream_id, b"503", b"busy", [(b"retry-after", b"0")])
            elif not request.answered and request.headers.get(":path") != "/silent":
                self.answer(event.stream_id, request)

    def respond(self, stream_id, status, data, headers):
        headers = [(b":status", status), (b"content-length", str(len(data)).encode())] + headers
        self.http.send_headers(stream_id, headers)
        self.http.send_data(stream_id, data, end_stream=True)
        self.transmit()

    def answer(self, stream_id, request):
        body = dict(request.summary(), httpVersion="HTTP/3", method=request.headers.get(":method"))
        body["sinkCpuMs"] = (time.process_time() - request.cpu) * 1000
        body["headers"] = {k: v for k, v in request.headers.items() if not k.startswith(":")}
        if request.multipart:
            body.update(request.multipart.result())
        self.respond(stream_id, b"200", json.dumps(body).encode(), [(b"content-type", b"application/json")])


async def main(cert, key):
    configuration = QuicConfiguration(is_client=False, alpn_protocols=H3_ALPN)
    configuration.load_cert_chain(cert, key)
    server = await serve("127.0.0.1", 0, configuration=configuration, create_protocol=Receiver)
    emit(event="ready", port=server._transport.get_extra_info("sockname")[1])
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))

"""A raw gRPC-over-HTTP/2 client connection (hyper-h2 on asyncio) for stress
tests: it sends exactly the bytes it is given, when it is given them, so it
can be as slow as an attacker. A gRPC library cannot: it sends a message
whole, as fast as flow control lets it.

    conn = await RawGrpcConnection.open("127.0.0.1", port)
    call = conn.start_call("/tensor_transform.v1.TensorTransform/Apply")
    await conn.send(call, message_prefix(100_000_000))  # announce 100 MB
    await conn.send(call, b"\\0")                         # ...then one byte
    ...  # call.ended is set when the server ends the call: its status or
         # reset code

The connection answers the server's PINGs (hyper-h2 queues the ACK for every
PING it parses; data_received sends it), returns flow-control credit for
what the server sends, and never opens more streams than the server's
SETTINGS_MAX_CONCURRENT_STREAMS allow.
"""

import asyncio
import dataclasses
import struct
import time
import urllib.parse

import h2.config
import h2.connection
import h2.events
import h2.exceptions

# gRPC status codes by number (grpc/status.h), for reports.
STATUS_NAMES = [
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
    "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"]


def message_prefix(length):
    """The 5-byte gRPC message prefix: uncompressed, `length` bytes follow."""
    return struct.pack(">BI", 0, length)


def framed(message):
    """A whole gRPC message: prefix and serialized protobuf bytes."""
    return message_prefix(len(message)) + message


@dataclasses.dataclass
class Call:
    """One HTTP/2 stream and how it ended. Times are time.time() seconds."""
    stream_id: int
    opened: float
    ended: float = None
    # "status" (trailers or a trailers-only response carried grpc-status),
    # "reset" (RST_STREAM without a status), "no status" (the stream ended
    # without one) or "connection closed".
    how: str = None
    grpc_status: int = None
    grpc_message: str = ""
    reset_code: int = None
    bytes_sent: int = 0

    def outcome(self):
        """A short description of how the call ended, for grouping."""
        if self.how == "status":
            known = 0 <= self.grpc_status < len(STATUS_NAMES)
            name = (STATUS_NAMES[self.grpc_status] if known
                    else str(self.grpc_status))
            return f"{name}: {self.grpc_message[:100]}"
        if self.how == "reset":
            return f"RST_STREAM error code {self.reset_code}"
        return self.how or "still open"


class RawGrpcConnection(asyncio.Protocol):
    """One HTTP/2 connection (cleartext, prior knowledge) of raw calls."""

    def __init__(self, authority):
        # The headers sent are fixed and valid; checking every one again
        # costs more than the rest of opening a stream.
        self._h2 = h2.connection.H2Connection(h2.config.H2Configuration(
            client_side=True, header_encoding="utf-8",
            validate_outbound_headers=False,
            normalize_outbound_headers=False))
        self._authority = authority
        self._transport = None
        self._calls = {}  # stream id -> Call, while open
        self._settled = asyncio.get_running_loop().create_future()
        self._credit = asyncio.Event()  # set when flow-control window grows
        self._flush_scheduled = False
        self.pings_answered = 0
        self.closed = False

    @classmethod
    async def open(cls, host, port):
        """Connects and waits for the server's SETTINGS."""
        loop = asyncio.get_running_loop()
        _, conn = await loop.create_connection(
            lambda: cls(f"{host}:{port}"), host, port)
        await conn._settled
        return conn

    @property
    def max_streams(self):
        """SETTINGS_MAX_CONCURRENT_STREAMS of the server."""
        return self._h2.remote_settings.max_concurrent_streams

    def start_call(self, path, deadline_ms=None):
        """Sends the request headers of a call to `path` (with a grpc-timeout
        when `deadline_ms` is given; never the end of the stream) and returns
        its Call. Raises when the server's stream limit is reached or the
        connection is closed."""
        if self.closed:
            raise ConnectionError("the connection is closed")
        if len(self._calls) >= self.max_streams:
            raise RuntimeError(f"the server allows {self.max_streams} "
                               "concurrent streams per connection")
        stream_id = self._h2.get_next_available_stream_id()
        headers = [(":method", "POST"), (":scheme", "http"), (":path", path),
                   (":authority", self._authority),
                   ("content-type", "application/grpc"), ("te", "trailers")]
        if deadline_ms is not None:
            headers.append(("grpc-timeout", f"{deadline_ms}m"))
        self._h2.send_headers(stream_id, headers)
        self._flush()
        call = Call(stream_id, time.time())
        self._calls[stream_id] = call
        return call

    async def send(self, call, data):
        """Sends `data` on the call as flow control allows; returns early
        (having sent what it could) when the call or connection ends."""
        view = memoryview(data)
        while view and call.ended is None:
            window = min(self._h2.local_flow_control_window(call.stream_id),
                         self._h2.max_outbound_frame_size)
            if window <= 0:
                self._credit.clear()
                await self._credit.wait()
                continue
            self._h2.send_data(call.stream_id, view[:window].tobytes())
            self._flush()
            call.bytes_sent += min(window, len(view))
            view = view[window:]

    def half_close(self, call):
        """Ends the request side of the call (END_STREAM), wherever its
        message stands."""
        self._h2.end_stream(call.stream_id)
        self._flush()

    def close(self):
        if self._transport is not None:
            self._transport.close()

    # asyncio.Protocol
    def connection_made(self, transport):
        self._transport = transport
        self._h2.initiate_connection()
        self._flush()

    def data_received(self, data):
        try:
            events = self._h2.receive_data(data)
        except h2.exceptions.ProtocolError as e:
            self._end_all(f"protocol error: {e}")
            self.close()
            return
        for event in events:
            self._handle(event)
        self._flush()  # PING ACKs, SETTINGS ACKs, WINDOW_UPDATEs

    def connection_lost(self, exc):
        self.closed = True
        self._end_all("connection closed")
        self._credit.set()
        if not self._settled.done():
            self._settled.set_exception(
                ConnectionError("closed before the server's SETTINGS"))

    def _handle(self, event):
        if isinstance(event, h2.events.RemoteSettingsChanged):
            if not self._settled.done():
                self._settled.set_result(None)
            self._credit.set()
        elif isinstance(event, h2.events.WindowUpdated):
            self._credit.set()
        elif isinstance(event, h2.events.PingReceived):
            self.pings_answered += 1
        elif isinstance(event, h2.events.DataReceived):
            self._h2.acknowledge_received_data(
                event.flow_controlled_length, event.stream_id)
        elif isinstance(event, (h2.events.ResponseReceived,
                                h2.events.TrailersReceived)):
            self._on_headers(event.stream_id, dict(event.headers))
        elif isinstance(event, h2.events.StreamReset):
            self._end(event.stream_id, "reset", reset_code=event.error_code)
        elif isinstance(event, h2.events.StreamEnded):
            self._end(event.stream_id, "no status")

    def _on_headers(self, stream_id, headers):
        """Trailers, or a trailers-only response, carry the call's status."""
        if "grpc-status" in headers:
            self._end(stream_id, "status",
                      grpc_status=int(headers["grpc-status"]),
                      grpc_message=urllib.parse.unquote(
                          headers.get("grpc-message", "")))

    def _end(self, stream_id, how, **fields):
        call = self._calls.pop(stream_id, None)
        if call is None:
            return  # already ended (trailers, then END_STREAM or RST_STREAM)
        call.ended = time.time()
        call.how = how
        for k, v in fields.items():
            setattr(call, k, v)
        self._credit.set()  # wake a send() waiting on this call

    def _end_all(self, how):
        for stream_id in list(self._calls):
            self._end(stream_id, how)

    def _flush(self):
        """Sends what hyper-h2 has queued, once per turn of the event loop:
        the frames of many calls go out in one write."""
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._write)

    def _write(self):
        self._flush_scheduled = False
        data = self._h2.data_to_send()
        if data and self._transport is not None and not self.closed:
            self._transport.write(data)

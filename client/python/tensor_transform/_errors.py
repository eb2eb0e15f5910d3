"""The error every call raises, with the gRPC status code."""

import enum

try:
    from grpc import StatusCode
except ImportError:  # the native client needs no grpcio: the same codes
    StatusCode = enum.Enum("StatusCode", [
        (name, (number, name.lower().replace("_", " "))) for number, name in
        enumerate(["OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT",
                   "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
                   "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
                   "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
                   "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
                   "UNAUTHENTICATED"])])

_BY_NUMBER = {code.value[0]: code for code in StatusCode}


class TensorTransformError(Exception):
    """A failed call. `code` is a grpc.StatusCode (an enum of the same names
    and values when grpcio is not installed), `details` the message.

    The server's codes pass through unchanged (INVALID_ARGUMENT for a bad
    request, RESOURCE_EXHAUSTED above a cap, UNAVAILABLE when unreachable,
    DEADLINE_EXCEEDED past the timeout); inputs this module refuses before
    sending raise INVALID_ARGUMENT, and a response holding another amount of
    data than was sent raises DATA_LOSS.
    """

    def __init__(self, code, details):
        super().__init__(f"{code.name}: {details}")
        self.code = code
        self.details = details


def error(number, details):
    """The TensorTransformError of gRPC status code `number`."""
    return TensorTransformError(_BY_NUMBER[number], details)


def invalid(details):
    return TensorTransformError(StatusCode.INVALID_ARGUMENT, details)

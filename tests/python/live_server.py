"""A real tensor_transform_server process on a free loopback port, for tests.

    with LiveServer(os.environ["TT_SERVER"], "--max_message_bytes=1048576") as s:
        channel = grpc.insecure_channel(s.target)   # "127.0.0.1:PORT"

Port 0 lets the server pick a free port, read back from the line it logs, so
that tests running in parallel never collide; listen="unix:/path" serves on
a Unix socket instead (the target is then that address). stop() sends
SIGTERM and returns the exit status (0 after a clean drain); kill() is
SIGKILL.
"""

import contextlib
import re
import signal
import subprocess
import threading

_LISTENING = re.compile(r"listening on (127\.0\.0\.1:(\d+)|unix:)")


class LiveServer:
    def __init__(self, binary, *flags, listen="127.0.0.1:0"):
        self.process = subprocess.Popen(
            [binary, f"--listen={listen}", *flags],
            stderr=subprocess.PIPE, text=True)
        self.log = []
        for line in self.process.stderr:
            self.log.append(line)
            match = _LISTENING.search(line)
            if match:
                break
        else:
            raise RuntimeError(f"{binary} exited before listening: {self.log}")
        if match.group(2) is None:
            self.port, self.target = None, listen
        else:
            self.port = int(match.group(2))
            self.target = f"127.0.0.1:{self.port}"
        # Keep draining stderr so that a chatty server never blocks on it.
        self._drain = threading.Thread(target=self._read_log, daemon=True)
        self._drain.start()

    def _read_log(self):
        for line in self.process.stderr:
            self.log.append(line)

    def stop(self, timeout=30):
        """SIGTERM; the exit status once the server has drained."""
        if self.process.poll() is None:
            self.process.terminate()
        return self._reap(timeout)

    @contextlib.contextmanager
    def paused(self):
        """The server stopped (SIGSTOP) for the block: it reads and answers
        nothing, so a call with a deadline can only end by exceeding it,
        however late gRPC's timer fires on a busy machine."""
        self.process.send_signal(signal.SIGSTOP)
        try:
            yield
        finally:
            self.process.send_signal(signal.SIGCONT)

    def kill(self):
        self.process.kill()
        self._reap(30)

    def _reap(self, timeout):
        status = self.process.wait(timeout=timeout)
        self._drain.join(timeout=5)
        self.process.stderr.close()
        return status

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.kill()

"""The serve loop the in-repo fakes share: print ``LISTENING <port>``, serve until SIGTERM, SIGINT
or the end of standard input (a killed test process closes the pipe, so no fake outlives it), then
exit the process at once."""
import os
import signal
import sys
import threading


def serve_until_stopped(server, watch_stdin=True, on_exit=None):
    """Serves ``server`` (a ``ThreadingHTTPServer`` bound to 127.0.0.1) until it is told to stop;
    ``on_exit`` runs after the server closed. Never returns."""

    def stop(*_):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if watch_stdin:
        def watch():
            # os.read on fd 0, not sys.stdin.buffer: a daemon thread blocked inside the buffered
            # reader holds its lock and aborts interpreter shutdown.
            try:
                while os.read(0, 65536):
                    pass
            except OSError:
                pass
            stop()
        threading.Thread(target=watch, daemon=True).start()
    print(f"LISTENING {server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        if on_exit is not None:
            on_exit()
        sys.stderr.flush()
        sys.stdout.flush()
        os._exit(0)

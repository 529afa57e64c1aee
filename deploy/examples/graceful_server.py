"""A Python HTTP server that a `pm2 reload` costs not one request, keep-alive included.

What any language must do for a zero-downtime reload in cluster mode (the Node preload does
it for unmodified Node servers):

1. Serve on the socket the daemon passes (fd 3, `LISTEN_FDS=1`, `LISTEN_PID` = our pid; the
   systemd convention), so old and new processes share one listening socket and no
   connection is ever refused.
2. Say when ready: `READY=1` on `NOTIFY_SOCKET` (sd_notify), so the old process is stopped
   only once the new one serves.
3. On SIGINT (pm2's kill signal) or SIGTERM: stop accepting, answer the requests already
   read, mark every later response `Connection: close` so clients reconnect (to the new
   process) instead of reusing the connection, let idle keep-alive connections time out
   rather than closing them under a client's feet, and exit before `kill_timeout`.

    pm2 start graceful_server.py -i 2 --name web -- 3000    # PORT 3000 when run alone
"""

import http.server
import os
import signal
import socket
import sys
import threading

stopping = threading.Event()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    timeout = 1  # an idle keep-alive connection ends after 1 s without a request

    def do_GET(self):
        body = ("ok %d\n" % os.getpid()).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        if stopping.is_set():
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = False  # server_close() waits for the connections in flight
    block_on_close = True


def listening_socket():
    if os.environ.get("LISTEN_FDS") == "1" and os.environ.get("LISTEN_PID") == str(os.getpid()):
        return socket.socket(fileno=3)
    port = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("PORT", "3000"))
    sock = socket.create_server(("127.0.0.1", port), reuse_port=False)
    return sock


def notify_ready():
    path = os.environ.get("NOTIFY_SOCKET")
    if not path:
        return
    if path.startswith("@"):
        path = "\0" + path[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.sendto(b"READY=1", path)


def main():
    server = Server(("127.0.0.1", 0), Handler, bind_and_activate=False)
    server.socket.close()
    server.socket = listening_socket()

    def stop(_signum, _frame):
        stopping.set()
        # shutdown() waits for serve_forever to return: from another thread.
        threading.Thread(target=server.shutdown).start()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    notify_ready()
    server.serve_forever(poll_interval=0.1)
    server.server_close()  # stops accepting, then waits for every connection to finish


if __name__ == "__main__":
    main()

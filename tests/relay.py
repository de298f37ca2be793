"""A TCP relay between a test and a real service on loopback, which the test can cut
(the service goes down: connections are closed and refused) or freeze (connections
are accepted and nothing is ever answered, as with a dropped route) and thaw."""

from __future__ import annotations

import socket
import threading


class Proxy:
    """Relays each connection to ``127.0.0.1:port``; see the module docs."""

    def __init__(self, port: int) -> None:
        self.target = ("127.0.0.1", port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.held: list[socket.socket] = []  # accepted while frozen: never answered
        self.open = True
        self.frozen = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while self.open:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.frozen:
                self.held.append(client)
                continue
            upstream = socket.create_connection(self.target)
            self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def freeze(self) -> None:
        """Live connections are dropped; new ones are held unanswered until thawed."""
        self.frozen = True
        _close_all(self.conns)

    def thaw(self) -> None:
        self.frozen = False

    def cut(self) -> None:
        self.open = False
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() in its thread
        self.listener.close()
        _close_all(self.conns)
        _close_all(self.held)


def _close_all(sockets: list[socket.socket]) -> None:
    for s in sockets:
        try:
            s.shutdown(socket.SHUT_RDWR)
            s.close()
        except OSError:
            pass
    sockets.clear()

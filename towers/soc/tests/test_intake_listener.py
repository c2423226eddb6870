"""The UDP/TCP syslog listener on real sockets, fed by Python's SysLogHandler and util-linux `logger`."""

import logging
import logging.handlers
import shutil
import socket
import subprocess
import threading
import time

import pytest

from towers.soc.intake.event import Event, Quarantined
from towers.soc.intake.listener import ThreadedSyslogListener


class Collector:
    def __init__(self):
        self.results = []
        self.arrived = threading.Condition()

    def __call__(self, result):
        with self.arrived:
            self.results.append(result)
            self.arrived.notify_all()

    def wait_for(self, count, timeout=5.0):
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.results) >= count, timeout=timeout)
        assert len(self.results) >= count, self.results
        return self.results


@pytest.fixture
def listener():
    collector = Collector()
    with ThreadedSyslogListener(collector) as running:
        running.collector = collector
        yield running


def send_with_handler(port, socktype, message):
    logger = logging.getLogger(f"towers.test.syslog.{socktype}.{port}")
    logger.propagate = False
    handler = logging.handlers.SysLogHandler(
        address=("127.0.0.1", port), facility=logging.handlers.SysLogHandler.LOG_AUTH, socktype=socktype
    )
    handler.setFormatter(logging.Formatter("towerstest: %(message)s"))
    logger.addHandler(handler)
    try:
        logger.warning(message)
    finally:
        logger.removeHandler(handler)
        handler.close()


@pytest.mark.parametrize("socktype", [socket.SOCK_DGRAM, socket.SOCK_STREAM], ids=["udp", "tcp"])
def test_python_syslog_handler_reaches_the_callback(listener, socktype):
    port = listener.udp_port if socktype == socket.SOCK_DGRAM else listener.tcp_port
    send_with_handler(port, socktype, "disk almost full")
    (event,) = listener.collector.wait_for(1)
    assert isinstance(event, Event) and event.source == "syslog"
    assert event.fields["app_name"] == "towerstest" and event.fields["message"] == "disk almost full"
    assert (event.fields["facility"], event.fields["severity"]) == (4, 4)  # auth.warning


def test_tcp_stream_with_mixed_framing_cef_and_an_oversize_frame(listener):
    with socket.create_connection(("127.0.0.1", listener.tcp_port)) as conn:
        conn.sendall(b"<13>1 - h app - - - first\n")
        frame = b"<134>Mar  1 08:00:00 fw CEF:0|V|P|1|sig|name|5|src=1.2.3.4"
        conn.sendall(f"{len(frame)} ".encode() + frame[:10])
        time.sleep(0.05)  # the rest of the frame arrives in a later read
        conn.sendall(frame[10:] + b"99999999 ")
    results = listener.collector.wait_for(3)
    assert results[0].fields["message"] == "first"
    assert isinstance(results[1], Event) and results[1].source == "cef" and results[1].fields["src"] == "1.2.3.4"
    assert isinstance(results[2], Quarantined) and "over" in results[2].reason


def test_udp_garbage_is_quarantined_not_dropped(listener):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(b"\xff\xfe not syslog", ("127.0.0.1", listener.udp_port))
    (result,) = listener.collector.wait_for(1)
    assert isinstance(result, Quarantined) and result.raw == b"\xff\xfe not syslog"


LOGGER = shutil.which("logger")


@pytest.mark.skipif(LOGGER is None, reason="util-linux `logger` is not installed (apt-get install bsdutils)")
@pytest.mark.parametrize(
    ("flags", "rfc5424"),
    [
        (["--udp", "--rfc5424"], True),
        (["--udp", "--rfc3164"], False),
        (["--tcp", "--octet-count", "--rfc5424"], True),
        (["--tcp", "--rfc3164"], False),
    ],
    ids=["udp-5424", "udp-3164", "tcp-octet-5424", "tcp-lf-3164"],
)
def test_util_linux_logger(listener, flags, rfc5424):
    port = listener.tcp_port if "--tcp" in flags else listener.udp_port
    command = [LOGGER, "--server", "127.0.0.1", "--port", str(port), *flags, "-t", "towerstag", "-p", "local3.err"]
    subprocess.run([*command, "intake works"], check=True, timeout=10)
    (event,) = listener.collector.wait_for(1)
    assert isinstance(event, Event), event
    assert (event.fields["facility"], event.fields["severity"]) == (19, 3)
    assert event.fields["app_name"] == "towerstag" and event.fields["message"] == "intake works"
    assert (event.fields["hostname"] is not None) and (("sd.timeQuality" in str(event.fields)) == rfc5424)

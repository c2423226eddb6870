import json
import logging

import pytest

from towers.core.logging import JsonFormatter


def test_a_log_record_becomes_one_json_object_with_its_extra_fields():
    record = logging.makeLogRecord({"name": "towers.request", "levelname": "INFO", "msg": "GET %s", "args": ("/x",)})
    record.status = 200
    line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "GET /x" and line["level"] == "info" and line["status"] == 200
    assert line["logger"] == "towers.request" and line["ts"].endswith("+00:00")


@pytest.mark.django_db
def test_every_request_is_logged_with_its_id_status_and_duration(client, caplog):
    with caplog.at_level(logging.INFO, logger="towers.request"):
        response = client.get("/health", HTTP_X_REQUEST_ID="abc123")
    assert response["X-Request-ID"] == "abc123"
    (record,) = [r for r in caplog.records if r.name == "towers.request"]
    assert (record.request_id, record.path, record.status) == ("abc123", "/health", 200)
    assert record.ms >= 0

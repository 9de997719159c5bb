"""The private processes start, stop and restart as the fault tests need (none touches shared ones)."""

from __future__ import annotations

import psycopg2
import redis

from tests.support import harness


def test_private_redis_stops_and_restarts_on_the_same_port():
    with harness.private_redis() as server:
        client = redis.Redis.from_url(server.url())
        client.set("k", "v")
        server.stop()
        assert not harness._port_open(server.port)
        server.start()
        assert client.get("k") is None  # no persistence: a restart is a clean broker


def test_private_postgres_restarts_and_keeps_committed_rows():
    cluster = harness.PrivatePostgres()
    try:
        cluster.init()
        cluster.start()
        with psycopg2.connect(cluster.url("postgres")) as conn, conn.cursor() as cur:
            cur.execute("create table t (x int)")
            cur.execute("insert into t values (7)")
        cluster.restart()
        with psycopg2.connect(cluster.url("postgres")) as conn, conn.cursor() as cur:
            cur.execute("select x from t")
            assert cur.fetchall() == [(7,)]
    finally:
        cluster.cleanup()

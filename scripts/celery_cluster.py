"""A throwaway Redis and real Celery worker processes, for the tests and the benchmarks.

    with celery_cluster("postgres://postgres@127.0.0.1:5432/coopfund") as cluster:
        with tasks_sent_to(config.celery.app, cluster.broker_url):
            ...  # tasks go through Redis to the workers, which use that database
        cluster.kill(0)  # kill -9 of worker 0 and its pool process
        cluster.start(0)  # a new worker 0

Each worker is `celery -A config worker` with one prefork process, run from the repository
with the project's settings, writing its files under the cluster's folder (`media_root`); its
output goes to a log in the cluster's temporary folder, whose tail is shown when a worker does
not come up.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import kombu.pools
import redis
from celery import Celery

ROOT = Path(__file__).resolve().parent.parent
START_SECONDS = 60
STOP_SECONDS = 10


@dataclass
class Cluster:
    broker_url: str
    folder: Path
    database_url: str
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def media_root(self) -> Path:
        """Where the workers keep the files they write (report exports), in the cluster's folder:
        never the project's media/."""
        return self.folder / "media"

    def hostname(self, index: int) -> str:
        return f"w{index}@{socket.gethostname()}"

    def answering(self, timeout: float = 1.0) -> set[str]:
        """The hostnames of the workers that answer a ping within the timeout."""
        with Celery(broker=self.broker_url, set_as_current=False) as control:
            return {name for reply in control.control.ping(timeout=timeout) for name in reply}

    def start(self, index: int) -> None:
        """Start worker `index` (a replacement if it was killed) and wait until it answers."""
        self._spawn(index)
        self._wait_for(index)

    def _spawn(self, index: int) -> None:
        if index < len(self.processes) and self.processes[index].poll() is None:
            raise RuntimeError(f"worker {index} is still running")
        env = {
            **os.environ,
            "CELERY_BROKER_URL": self.broker_url,
            "DATABASE_URL": self.database_url,
            "DJANGO_MEDIA_ROOT": str(self.media_root),
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
        command = [
            sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork",
            "--concurrency", "1", "--without-heartbeat", "--without-gossip", "--without-mingle",
            "-n", self.hostname(index), "-l", "warning",
        ]  # fmt: skip
        with open(self._log(index), "ab") as log:
            # Its own process group: kill() reaches the pool process too.
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        if index < len(self.processes):
            self.processes[index] = process
        else:
            self.processes.append(process)

    def kill(self, index: int) -> None:
        """kill -9 of worker `index` and its pool process: nothing of it is acknowledged or closed.
        Redis gives the task it was running to another worker only after the broker's visibility
        timeout (broker_transport_options, an hour by default)."""
        process = self.processes[index]
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def forget_tasks(self) -> None:
        """Empty the queues and the unacknowledged tasks of killed workers, keeping the bindings
        the workers declared when they started."""
        broker = redis.Redis.from_url(self.broker_url)
        with broker:
            for key in broker.scan_iter():
                if not key.startswith(b"_kombu.binding."):
                    broker.delete(key)

    def stop(self) -> None:
        """A warm shutdown of every worker at once, then kill -9 of whatever is left of each."""
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for process in self.processes:
            with suppress(subprocess.TimeoutExpired):
                process.wait(max(deadline - time.monotonic(), 0))
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def _wait_for(self, index: int) -> None:
        deadline = time.monotonic() + START_SECONDS
        with Celery(broker=self.broker_url, set_as_current=False) as control:
            while not control.control.ping([self.hostname(index)], timeout=0.5, limit=1):
                code = self.processes[index].poll()
                if code is not None or time.monotonic() > deadline:
                    state = f"did not answer within {START_SECONDS} s" if code is None else f"ended ({code})"
                    raise RuntimeError(
                        f"Celery worker {index} {state}; the end of its log:\n{_tail(self._log(index))}"
                    )

    def _log(self, index: int) -> Path:
        return self.folder / f"w{index}.log"


@contextmanager
def celery_cluster(database_url: str, *, workers: int = 2) -> Iterator[Cluster]:
    """A Redis on a free loopback port and `workers` Celery workers using `database_url`,
    all stopped and removed on exit."""
    if shutil.which("redis-server") is None:
        raise RuntimeError("redis-server is not installed: install the redis-server package")
    with tempfile.TemporaryDirectory(prefix="coopfund-celery.") as folder, _redis(Path(folder)) as broker_url:
        cluster = Cluster(broker_url=broker_url, folder=Path(folder), database_url=database_url)
        try:
            for index in range(workers):  # started together, then waited for
                cluster._spawn(index)
            for index in range(workers):
                cluster._wait_for(index)
            yield cluster
        finally:
            cluster.stop()


@contextmanager
def tasks_sent_to(app: Celery, broker_url: str) -> Iterator[None]:
    """The app sends its tasks to the broker instead of running them eagerly, until the end."""
    saved = {"task_always_eager": app.conf.task_always_eager, "broker_url": app.conf.broker_url}
    app.conf.update(task_always_eager=False, broker_url=broker_url)
    _forget_connections(app)
    try:
        yield
    finally:
        app.conf.update(saved)
        _forget_connections(app)


def _forget_connections(app: Celery) -> None:
    # kombu keeps pools of broker connections, by URL, for every app: close them all. The app
    # keeps the pools it first took, which Celery itself forgets so after a fork (_after_fork).
    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def _redis(folder: Path) -> Iterator[str]:
    """A redis-server on a free loopback port, keeping nothing on disk: its broker URL."""
    port = _free_port()
    with open(folder / "redis.log", "ab") as log:
        process = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder),
             "--save", "", "--appendonly", "no"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        url = f"redis://127.0.0.1:{port}/0"
        _wait_for_redis(url, process, folder / "redis.log")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_redis(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while True:
        with suppress(redis.ConnectionError), redis.Redis.from_url(url) as broker:
            broker.ping()
            return
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"redis-server did not start; the end of its log:\n{_tail(log)}")
        time.sleep(0.05)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])

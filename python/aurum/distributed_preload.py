"""aurum.distributed_preload: Dask plugins for the scheduler and the workers of short-task sweeps.

Dask sends a worker's "task finished" reports to the scheduler at most every 2 ms, and the
scheduler's messages to a client and to a worker at most every 2 and 5 ms, each batch a message
the other side reads, decodes and dispatches. A sweep task is ~1 ms of C++, so nearly every task
was a message of its own each way, and the scheduler's share of that (in the client's process on
a local cluster) took CPU the second worker needed. Batching these streams every 20 ms carries
~20-40 reports per message; a finished task is reported up to 20 ms later, except that a worker
left without tasks, and the scheduler when a group's last task is in, send at once (the end of a
sweep waits for no interval). A worker also moves the objects that exist when it starts (its
imports) out of Python's cyclic garbage collector (`gc.freeze`), so a full collection scans only
what it made since.

`aurum.distributed.connect` installs both on the clusters it starts or connects to (the workers'
plugin through the client; the scheduler's only on a local cluster, whose scheduler runs in the
client's process). A deployed scheduler loads its part with `--preload aurum.distributed_preload`
(docs/distributed.md).
"""
import gc

from distributed import Scheduler, SchedulerPlugin, Worker, WorkerPlugin

# Seconds between two batches of one stream.
REPORT_INTERVAL = 0.02


class ShortTaskWorker(WorkerPlugin):
    """A worker's reports to the scheduler batched every REPORT_INTERVAL; its start-up objects
    frozen out of the cyclic garbage collector."""

    name = "aurum-short-tasks"

    def setup(self, worker):
        self.worker = worker
        worker.batched_stream.interval = REPORT_INTERVAL
        gc.freeze()

    def transition(self, key, start, finish, **kwargs):
        # A worker left without tasks reports at once: the end of a sweep is not delayed.
        state = self.worker.state
        if finish == "memory" and not state.executing and not state.ready:
            self.worker.loop.add_callback(_flush, self.worker.batched_stream)


class BatchedReports(SchedulerPlugin):
    """The scheduler's streams to each worker and client batched every REPORT_INTERVAL."""

    name = "aurum-batched-reports"

    async def start(self, scheduler):
        self.attach(scheduler)

    def attach(self, scheduler):
        self.scheduler = scheduler
        for stream in (*scheduler.stream_comms.values(), *scheduler.client_comms.values()):
            stream.interval = REPORT_INTERVAL

    def transition(self, key, start, finish, *args, **kwargs):
        # The last task of a group (a sweep's tasks) is reported to the clients at once.
        if finish != "memory" or start != "processing":
            return
        ts = self.scheduler.tasks.get(key)
        states = ts.group.states if ts is not None else {}
        if not any(states.get(s) for s in ("processing", "waiting", "queued", "no-worker")):
            for stream in self.scheduler.client_comms.values():
                self.scheduler.loop.add_callback(_flush, stream)

    def add_worker(self, scheduler, worker):
        stream = scheduler.stream_comms.get(worker)
        if stream is not None:
            stream.interval = REPORT_INTERVAL

    def add_client(self, scheduler, client):
        # The scheduler creates the client's stream right after calling its plugins, in the same
        # step of its event loop: set the interval on the loop's next step.
        scheduler.loop.add_callback(_set_client_interval, scheduler, client)


def _set_client_interval(scheduler, client):
    stream = scheduler.client_comms.get(client)
    if stream is not None:
        stream.interval = REPORT_INTERVAL


def _flush(stream):
    """Sends a batched stream's buffer now rather than at the end of its interval (Dask's
    BatchedSend has no public flush: its send loop goes on when woken without a deadline)."""
    if stream.buffer:
        stream.next_deadline = None
        stream.waker.set()


def install_on_scheduler(dask_scheduler):
    """Adds BatchedReports to a running scheduler (`client.run_on_scheduler`, on its loop)."""
    if BatchedReports.name not in dask_scheduler.plugins:
        plugin = BatchedReports()
        plugin.attach(dask_scheduler)
        dask_scheduler.add_plugin(plugin)


def dask_setup(server):
    """Dask's preload hook (`--preload aurum.distributed_preload`): the scheduler's or the
    worker's part, as it starts."""
    if isinstance(server, Scheduler):
        install_on_scheduler(server)
    elif isinstance(server, Worker):
        ShortTaskWorker().setup(server)

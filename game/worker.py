"""Long work (sampling) runs on a worker thread and reports back through a queue, so the
window keeps drawing. numpy's BLAS and numba kernels release the GIL while they compute."""

import queue
import threading

from sim_core.threads import available_cores, set_compute_threads

# Compute threads for sampling (BLAS's and numba's): every core but one, which draws the window
# (BLAS on every core made frames of 20+ ms on 2 cores while a sample ran).
COMPUTE_THREADS = max(1, available_cores() - 1)


JOB_THREAD = "dq-job"  # every Job's thread's name


class Job:
    """Run `work(report, cancelled)` on a thread; `report(item)` queues an item for `poll()`.
    An exception ends the job and is kept in `error` (never raised on the render thread)."""

    def __init__(self, work):
        self.items: queue.Queue = queue.Queue()
        self.cancelled = threading.Event()
        self.error: BaseException | None = None
        self.finished = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(work,), daemon=True, name=JOB_THREAD)
        self._thread.start()

    def _run(self, work):
        try:
            set_compute_threads(COMPUTE_THREADS)
            work(self.items.put, self.cancelled.is_set)
        except Exception as e:  # reported to the scene, which shows a message
            self.error = e
        finally:
            self.finished.set()

    def poll(self) -> list:
        items = []
        while True:
            try:
                items.append(self.items.get_nowait())
            except queue.Empty:
                return items

    def cancel(self) -> None:
        self.cancelled.set()

    def join(self) -> None:
        """Wait for the thread itself to end (a cancelled job stops at its next step)."""
        self._thread.join()

    @property
    def done(self) -> bool:
        return self.finished.is_set()

    @property
    def drained(self) -> bool:
        """Ended, and poll() has taken everything it reported."""
        return self.done and self.items.empty()


def jobs_alive() -> bool:
    """Whether any Job's thread still runs, this scene's or one left behind (a cancelled Job
    ends at its next step)."""
    return any(thread.name == JOB_THREAD and thread.is_alive() for thread in threading.enumerate())

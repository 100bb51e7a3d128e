"""How a script ends, so that runs it left open (``run = mj.start_run()`` without ``with``)
are stored with the script's outcome, not always FINISHED.

At exit, open runs end as the script did: it returned, ``sys.exit()`` or ``sys.exit(0)`` ->
FINISHED; another exit code -> FAILED naming it; an uncaught exception -> FAILED with its
traceback; Ctrl-C -> KILLED. A worker thread that dies of an uncaught exception ends the runs
it left open FAILED at once.

How the end is seen (SystemExit never reaches ``sys.excepthook``, and exit handlers run after
the interpreter has dropped the exception and its code):

- Python >= 3.12: ``sys.monitoring``'s PY_UNWIND event, kept only for the ``__main__`` module's
  frame, hands over whatever exception leaves the script, SystemExit included, exactly. It
  costs nothing until an exception unwinds a frame.
- Python 3.10/3.11: a chained ``sys.excepthook`` sees uncaught exceptions; ``sys.exit`` is
  wrapped to see exit codes; and the ``__main__`` frame, kept from the first ``start_run``,
  tells at exit whether the script returned or was left by an exception (its last instruction
  is a return or not), so a ``sys.exit`` that was caught is not mistaken for the end. A
  ``raise SystemExit(code)`` statement bypasses ``sys.exit``: the run is then FAILED with the
  line that ended the script, since its code cannot be seen. (Tracing every frame would see
  it, but slows Python code several-fold.)

Nothing is installed inside IPython: cells catch their own exceptions and SystemExit, and runs
still open at kernel shutdown end FINISHED.
"""

from __future__ import annotations

import atexit
import dis
import linecache
import sys
import threading
import traceback
from typing import Any

# Ids 0-2 and 5 are reserved for debuggers, coverage, profilers and optimizers.
_MONITORING_TOOL_IDS = (4, 3)


def _main_frame() -> Any:
    """The frame running the ``__main__`` module's code, if the main thread is still in it."""
    main = sys.modules.get("__main__")
    namespace = getattr(main, "__dict__", None)
    frame = sys._current_frames().get(threading.main_thread().ident)
    found = None
    while frame is not None:
        if frame.f_globals is namespace and frame.f_code.co_name == "<module>":
            found = frame  # the outermost one: runpy may show several
        frame = frame.f_back
    return found


def _in_ipython() -> bool:
    ipython = sys.modules.get("IPython")
    return ipython is not None and ipython.get_ipython() is not None


class ScriptExit:
    """Watches how the ``__main__`` module ends; :meth:`outcome` says it at exit."""

    def __init__(self) -> None:
        self.exception: BaseException | None = None  # what left __main__, when seen
        self._frame: Any = None
        self._exit_call: tuple[SystemExit, int] | None = None  # last sys.exit, main's f_lasti
        self._tool: int | None = None

    def install(self) -> None:
        frame = _main_frame()
        if frame is None:
            return  # embedded, or __main__ already done: open runs end FINISHED
        if self._watch_unwinding(frame.f_code):
            return
        self._frame = frame
        previous_hook = sys.excepthook

        def excepthook(kind, value, tb):
            self.exception = value
            previous_hook(kind, value, tb)

        sys.excepthook = excepthook
        previous_exit = sys.exit

        def exit(status: object = None, /) -> None:
            try:
                previous_exit(status)
            except SystemExit as exc:
                if threading.current_thread() is threading.main_thread():
                    self._exit_call = (exc, self._frame.f_lasti)
                raise

        exit.__doc__ = previous_exit.__doc__
        sys.exit = exit

    def _watch_unwinding(self, main_code: Any) -> bool:
        monitoring = getattr(sys, "monitoring", None)
        if monitoring is None:
            return False
        for tool in _MONITORING_TOOL_IDS:
            if monitoring.get_tool(tool) is None:
                break
        else:
            return False  # every free id taken: fall back to the hooks
        monitoring.use_tool_id(tool, "mlops_jupyter")

        def unwind(code: Any, offset: int, exception: BaseException) -> None:
            if code is main_code:
                self.exception = exception

        monitoring.register_callback(tool, monitoring.events.PY_UNWIND, unwind)
        monitoring.set_events(tool, monitoring.events.PY_UNWIND)
        self._tool = tool
        return True

    def _left_by_exception(self) -> bool:
        """Whether the kept ``__main__`` frame ended anywhere but at a return."""
        frame = self._frame
        last = None
        for instruction in dis.get_instructions(frame.f_code):
            if instruction.offset > frame.f_lasti:
                break
            last = instruction
        return last is None or not last.opname.startswith("RETURN")

    def outcome(self) -> tuple[str, str | None]:
        """(status, error text) of the script, as far as it ended."""
        exception = self.exception
        if exception is None and self._frame is not None and self._left_by_exception():
            if self._exit_call is not None and self._exit_call[1] == self._frame.f_lasti:
                exception = self._exit_call[0]  # the sys.exit call main was in when it ended
            else:
                return "FAILED", self._unseen_exit()
        if exception is None:
            return "FINISHED", None
        if isinstance(exception, SystemExit):
            code = exception.code
            if code is None or code == 0:
                return "FINISHED", None
            if isinstance(code, int):
                return "FAILED", f"the script exited with exit code {code} (SystemExit({code}))"
            return "FAILED", f"the script exited with exit code 1: {code}"
        if isinstance(exception, KeyboardInterrupt):
            return "KILLED", "KeyboardInterrupt"
        return "FAILED", "".join(
            traceback.format_exception(type(exception), exception, exception.__traceback__))

    def _unseen_exit(self) -> str:
        frame = self._frame
        filename, line = frame.f_code.co_filename, frame.f_lineno
        source = linecache.getline(filename, line).strip()
        return (
            f"the script ended at {filename} line {line} (`{source}`) by an exception that "
            "exit handlers cannot see on this Python, most likely SystemExit raised directly; "
            "its exit code is unknown. Call sys.exit(code) so the run records the exit code."
        )


_watch: ScriptExit | None = None
_lock = threading.Lock()


def install() -> None:
    """Called by ``start_run``: from then on, runs left open end with the script's outcome."""
    global _watch
    with _lock:
        if _watch is not None:
            return
        _watch = ScriptExit()
        atexit.register(_end_open_runs)
        if _in_ipython():
            return
        try:
            _watch.install()
            _chain_thread_excepthook()
        except Exception:  # noqa: BLE001 - without the hooks, open runs end FINISHED as before
            pass


def _chain_thread_excepthook() -> None:
    previous = threading.excepthook

    def excepthook(args: Any) -> None:
        try:
            _end_thread_runs(args)
        finally:
            previous(args)

    threading.excepthook = excepthook


def _end_thread_runs(args: Any) -> None:
    from . import active

    thread_id = args.thread.ident if args.thread is not None else None
    error = "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback))
    for open_run in reversed(active.open_runs()):
        if open_run.thread_id == thread_id:
            try:
                open_run.run.end("FAILED", error=f"the thread {args.thread.name!r} died:\n{error}")
            except Exception:  # noqa: BLE001 - the thread's own error is what gets printed
                pass


def _end_open_runs() -> None:
    from . import active

    runs = active.open_runs()
    if not runs:
        return
    status, error = _watch.outcome() if _watch is not None else ("FINISHED", None)
    for open_run in reversed(runs):
        try:
            open_run.run.end(status, error=error)
        except Exception:  # noqa: BLE001 - never raise at interpreter exit
            pass

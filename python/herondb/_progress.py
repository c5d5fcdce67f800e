"""A small progress bar and spinner for long operations, written to stderr.

No third-party dependency. Both are silent unless they are enabled *and* their
stream is a terminal, so piping the CLI into a file or another program never
mixes progress noise into the output. Redraws are throttled (at most ~10 per
second) so the bar costs nothing measurable next to the work it reports on.
"""

from __future__ import annotations

import sys
import threading
import time
from types import TracebackType
from typing import Optional, TextIO, Type

_REDRAW_SECONDS = 0.1


def _format_seconds(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:4.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def stream_is_tty(stream: TextIO) -> bool:
    """True when ``stream`` reports being an interactive terminal."""
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if isatty is not None else False
    except (ValueError, OSError):  # closed or detached stream
        return False


class ProgressBar:
    """A determinate progress bar: ``label [#####-----]  50%  500/1000  1.2s  ETA 1.2s``.

    Use it as a context manager, call :meth:`update` with the number of items
    just finished, and it erases or completes its line on exit. When disabled
    (``enabled=False`` or a stream that is not a terminal) every method is a
    cheap no-op.
    """

    def __init__(
        self,
        total: int,
        label: str = "",
        *,
        stream: Optional[TextIO] = None,
        enabled: bool = True,
        width: int = 30,
    ) -> None:
        self.total = max(0, int(total))
        self.label = label
        self.stream: TextIO = stream if stream is not None else sys.stderr
        self.enabled = enabled and stream_is_tty(self.stream)
        self.width = max(5, width)
        self.done = 0
        self._start = time.monotonic()
        self._last_draw = 0.0
        self._lock = threading.Lock()

    def __enter__(self) -> "ProgressBar":
        self._draw(force=True)
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close(success=exc_type is None)

    def update(self, n: int = 1) -> None:
        """Record ``n`` more finished items and redraw if enough time has passed."""
        with self._lock:
            self.done = min(self.total, self.done + n) if self.total else self.done + n
        self._draw(force=False)

    def render(self) -> str:
        """The bar's current text, without the carriage return."""
        elapsed = time.monotonic() - self._start
        if self.total:
            fraction = min(1.0, self.done / self.total)
            filled = int(round(fraction * self.width))
            bar = "#" * filled + "-" * (self.width - filled)
            text = f"[{bar}] {fraction * 100:3.0f}%  {self.done:,}/{self.total:,}  {_format_seconds(elapsed)}"
            if 0 < self.done < self.total:
                remaining = elapsed / self.done * (self.total - self.done)
                text += f"  ETA {_format_seconds(remaining)}"
        else:
            text = f"{self.done:,}  {_format_seconds(elapsed)}"
        return f"{self.label} {text}" if self.label else text

    def _draw(self, force: bool) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        with self._lock:
            if not force and now - self._last_draw < _REDRAW_SECONDS and self.done < self.total:
                return
            self._last_draw = now
            line = self.render()
        try:
            self.stream.write("\r" + line + "\x1b[K")
            self.stream.flush()
        except (OSError, ValueError):
            self.enabled = False

    def close(self, success: bool = True) -> None:
        """Draw the final state and end the line (or clear it after a failure)."""
        if not self.enabled:
            return
        try:
            if success:
                self._draw(force=True)
                self.stream.write("\n")
            else:
                self.stream.write("\r\x1b[K")
            self.stream.flush()
        except (OSError, ValueError):
            pass
        self.enabled = False


class Spinner:
    """An indeterminate indicator for one long call: ``label |  3.2s``.

    A background thread redraws it while the ``with`` block runs; herondb's
    long calls release the GIL, so the spinner keeps turning during them.
    """

    _FRAMES = "|/-\\"

    def __init__(self, label: str, *, stream: Optional[TextIO] = None, enabled: bool = True) -> None:
        self.label = label
        self.stream: TextIO = stream if stream is not None else sys.stderr
        self.enabled = enabled and stream_is_tty(self.stream)
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._start = time.monotonic()

    def render(self, frame: int) -> str:
        """The spinner's text for animation step ``frame``."""
        elapsed = time.monotonic() - self._start
        return f"{self.label} {self._FRAMES[frame % len(self._FRAMES)]} {_format_seconds(elapsed)}"

    def _run(self) -> None:
        frame = 0
        while not self._stop.wait(_REDRAW_SECONDS):
            try:
                self.stream.write("\r" + self.render(frame) + "\x1b[K")
                self.stream.flush()
            except (OSError, ValueError):
                return
            frame += 1

    def __enter__(self) -> "Spinner":
        self._start = time.monotonic()
        if self.enabled:
            self._thread = threading.Thread(target=self._run, name="herondb-spinner", daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        self._thread = None
        try:
            if exc_type is None:
                self.stream.write(f"\r{self.label} done in {_format_seconds(time.monotonic() - self._start)}\x1b[K\n")
            else:
                self.stream.write("\r\x1b[K")
            self.stream.flush()
        except (OSError, ValueError):
            pass


__all__ = ["ProgressBar", "Spinner", "stream_is_tty"]

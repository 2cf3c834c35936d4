"""Progress of a long sync command (a bundle on a slow USB stick) on stderr."""


class ProgressLine:
    """``progress(step, done, total)`` for a service, shown on a command's stderr.

    On a terminal one line is rewritten in place (``\\r``) as the percentage moves; otherwise
    (a log, an Ansible task) a plain line is written at each quarter, so the output stays short.
    ``total`` None means it is not known in advance: the count is shown instead (on a terminal).
    """

    QUARTER = 25

    def __init__(self, out, labels: dict[str, str]):
        self.out = out  # the command's OutputWrapper
        self.labels = labels
        self.tty = out.isatty()
        self.step = None
        self.shown = None

    def __call__(self, step: str, done: int, total: int | None) -> None:
        if step != self.step:
            self.end()
            self.step, self.shown = step, object()
        label = self.labels.get(step, step)
        if total:
            percent = min(100, done * 100 // total)
            text = f"{label}: {percent}%"
            key = percent if self.tty else percent // self.QUARTER
        elif self.tty:
            text, key = f"{label}: {done}", done
        else:
            text, key = f"{label} …", None  # once: the summary gives the count
        if key == self.shown:
            return
        self.shown = key
        if self.tty:
            self.out.write(f"\r{text}\x1b[K", style_func=str, ending="")
            self.out.flush()
        else:
            self.out.write(text, style_func=str)

    def end(self) -> None:
        """Close the current line (call before printing anything else)."""
        if self.tty and self.step is not None:
            self.out.write("", style_func=str, ending="\n")
        self.step = None

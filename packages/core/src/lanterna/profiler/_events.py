"""What a profiler returns: events, their per-name averages and PyTorch's summary table.

Times are in microseconds (floats), as in PyTorch's ``FunctionEvent``. The table is built as
PyTorch's ``EventList.table`` builds it, for the columns Lanterna can fill (CPU times, call counts,
and memory columns, always zero, when ``profile_memory=True``).
"""

from __future__ import annotations

import enum
import itertools
from collections import defaultdict


class DeviceType(enum.Enum):
    """``torch.profiler.DeviceType``: where an event ran (Lanterna records CPU events only)."""

    CPU = 0
    CUDA = 1
    MKLDNN = 2
    OPENGL = 3
    OPENCL = 4
    IDEEP = 5
    HIP = 6
    FPGA = 7
    MAIA = 8
    XLA = 9
    Vulkan = 10
    Metal = 11
    XPU = 12
    MPS = 13
    Meta = 14
    HPU = 15
    VE = 16
    Lazy = 17
    IPU = 18
    MTIA = 19
    PrivateUse1 = 20

    def __int__(self):
        return self.value


def _format_time(time_us):
    if time_us >= 1e6:
        return f"{time_us / 1e6:.3f}s"
    if time_us >= 1e3:
        return f"{time_us / 1e3:.3f}ms"
    return f"{time_us:.3f}us"


def _format_time_share(time_us, total_time_us):
    if total_time_us == 0:
        return "NaN"
    return f"{time_us * 100.0 / total_time_us:.2f}%"


def _format_memory(nbytes):
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if abs(nbytes) >= size:
            return f"{nbytes / size:.2f} {unit}"
    return f"{nbytes} B"


def _time_str(attr):
    return property(lambda self: _format_time(getattr(self, attr)))


class _FormattedTimes:
    """``cpu_time`` (the average) and the ``*_str`` forms of the times, as PyTorch's mixin."""

    cpu_time_str = _time_str("cpu_time")
    device_time_str = _time_str("device_time")
    cpu_time_total_str = _time_str("cpu_time_total")
    device_time_total_str = _time_str("device_time_total")
    self_cpu_time_total_str = _time_str("self_cpu_time_total")
    self_device_time_total_str = _time_str("self_device_time_total")

    @property
    def cpu_time(self):
        return 0.0 if self.count == 0 else self.cpu_time_total / self.count

    @property
    def device_time(self):
        return 0.0 if self.count == 0 else self.device_time_total / self.count

    cuda_time = device_time


class Interval:
    def __init__(self, start, end):
        self.start = start
        self.end = end

    def elapsed_us(self):
        return self.end - self.start


class FunctionEvent(_FormattedTimes):
    """One recorded block: a ``record_function`` or a ``ProfilerStep#N``.

    Blocks still open when the profiler stopped end at the stop time and are ``is_async`` (they
    count no self time), as in PyTorch.
    """

    # nothing below is measured by Lanterna: fixed so that code reading these attributes runs
    device_time_total = 0
    self_device_time_total = 0
    cpu_memory_usage = 0
    device_memory_usage = 0
    self_cpu_memory_usage = 0
    self_device_memory_usage = 0
    flops = 0
    node_id = -1
    scope = 0
    sequence_nr = -1
    is_remote = False
    is_legacy = False
    is_user_annotation = True
    device_type = DeviceType.CPU
    device_index = 0
    overload_name = ""
    concrete_inputs = None
    kwinputs = None

    def __init__(self, id, name, thread, start_us, end_us, trace_name=None, is_async=False, use_device=None,
                 args=None):
        self.id = id
        self.name = name
        self.trace_name = trace_name if trace_name is not None else name
        self.time_range = Interval(start_us, end_us)
        self.thread = thread
        self.fwd_thread = thread
        self.is_async = is_async
        self.use_device = use_device
        self.args = args
        self.count = 1
        self.cpu_children = []
        self.cpu_parent = None
        self.kernels = []
        self.input_shapes = []
        self.stack = []

    @property
    def key(self):
        return self.name

    @property
    def cpu_time_total(self):
        return self.time_range.elapsed_us()

    @property
    def self_cpu_time_total(self):
        if self.is_async:
            return 0
        return self.cpu_time_total - sum(child.cpu_time_total for child in self.cpu_children)

    def __repr__(self):
        return (f"<FunctionEvent id={self.id} name={self.name} device_type={self.device_type} "
                f"node_id={self.node_id} cpu_time={self.cpu_time_str} start_us={self.time_range.start} "
                f"end_us={self.time_range.end} cpu_children={[c.id for c in self.cpu_children]} "
                f"thread={self.thread} is_async={self.is_async}>")


class FunctionEventAvg(_FormattedTimes):
    """The events of one key (name) added up: ``count`` and total / self times."""

    def __init__(self):
        self.key = None
        self.count = 0
        self.node_id = 0
        self.is_async = False
        self.is_remote = False
        self.is_legacy = False
        self.is_user_annotation = False
        self.use_device = None
        self.cpu_time_total = 0
        self.device_time_total = 0
        self.self_cpu_time_total = 0
        self.self_device_time_total = 0
        self.cpu_memory_usage = 0
        self.device_memory_usage = 0
        self.self_cpu_memory_usage = 0
        self.self_device_memory_usage = 0
        self.input_shapes = None
        self.overload_name = None
        self.stack = None
        self.scope = None
        self.cpu_children = None
        self.cpu_parent = None
        self.device_type = DeviceType.CPU
        self.flops = 0

    def add(self, other):
        if self.key is None:  # the first event of this key: take its fixed fields
            for field in ("key", "node_id", "is_async", "is_remote", "cpu_parent", "cpu_children",
                          "overload_name", "input_shapes", "stack", "scope", "device_type", "is_legacy",
                          "use_device", "is_user_annotation"):
                setattr(self, field, getattr(other, field))
        if other.key != self.key:
            raise AssertionError(f"Expected keys to match, but got {other.key} vs {self.key}")
        for field in ("cpu_time_total", "device_time_total", "self_cpu_time_total", "self_device_time_total",
                      "cpu_memory_usage", "device_memory_usage", "self_cpu_memory_usage",
                      "self_device_memory_usage", "count", "flops"):
            setattr(self, field, getattr(self, field) + getattr(other, field))
        return self

    __iadd__ = add

    def __repr__(self):
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={self.self_cpu_time_total_str} "
                f"cpu_time={self.cpu_time_str} input_shapes={self.input_shapes} "
                f"cpu_memory_usage={self.cpu_memory_usage}>")


class EventList(list):
    """A list of events (or of their averages) that prints as PyTorch's table."""

    def __init__(self, *args, use_device=None, profile_memory=False, with_flops=False):
        super().__init__(*args)
        self._use_device = use_device
        self._profile_memory = profile_memory
        self._with_flops = with_flops

    def __str__(self):
        return self.table()

    @property
    def self_cpu_time_total(self):
        return sum(event.self_cpu_time_total for event in self)

    def _build_tree(self):
        _populate_cpu_children(self)
        self._remove_dup_nodes()

    def _remove_dup_nodes(self):
        """A block whose only child has its name is counted once (PyTorch merges such pairs)."""
        while True:
            dups = set()
            for i, evt in enumerate(self):
                parent = evt.cpu_parent
                if parent is not None and parent.name == evt.name and len(parent.cpu_children) == 1:
                    parent.cpu_children = evt.cpu_children
                    for child in evt.cpu_children:
                        child.cpu_parent = parent
                    dups.add(i)
            if not dups:
                return
            self[:] = [evt for i, evt in enumerate(self) if i not in dups]

    def key_averages(self, group_by_input_shapes=False, group_by_stack_n=0, group_by_overload_name=False):
        """One :class:`FunctionEventAvg` per name (per name and input shapes when asked)."""
        stats = defaultdict(FunctionEventAvg)
        for evt in self:
            key = [evt.key, str(evt.node_id), str(evt.device_type), str(evt.is_legacy),
                   str(evt.is_user_annotation)]
            if group_by_overload_name:
                key.append(evt.overload_name)
            if group_by_input_shapes:
                key.append(str(evt.input_shapes))
            if group_by_stack_n > 0:
                key += evt.stack[:group_by_stack_n]
            stats[tuple(key)].add(evt)
        averages = EventList(stats.values(), use_device=self._use_device, profile_memory=self._profile_memory,
                             with_flops=self._with_flops)
        for avg in averages:
            avg.stack = avg.stack[:group_by_stack_n]
            if not group_by_input_shapes:
                avg.input_shapes = ""
            if not group_by_overload_name:
                avg.overload_name = ""
        return averages

    def total_average(self):
        total = FunctionEventAvg()
        for evt in self:
            total += evt
            total.key = None
        total.key = "Total"
        return total

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75, max_name_column_width=55,
              max_shapes_column_width=80, header=None, top_level_events_only=False, time_unit=None):
        """PyTorch's summary table. ``sort_by`` names an attribute of the rows (``cpu_time_total``,
        ``self_cpu_time_total``, ``count`` ...), largest first; ``row_limit=-1`` prints every row."""
        return _build_table(self, sort_by=sort_by, row_limit=row_limit, max_name_column_width=max_name_column_width,
                            max_shapes_column_width=max_shapes_column_width, header=header,
                            profile_memory=self._profile_memory, top_level_events_only=top_level_events_only,
                            time_unit=time_unit)

    def export_chrome_trace(self, path):
        from ._trace import write_chrome_trace

        write_chrome_trace(self, path)

    def supported_export_stacks_metrics(self):
        return ["self_cpu_time_total", "self_cuda_time_total", "self_xpu_time_total", "self_privateuse1_time_total"]

    def export_stacks(self, path, metric):
        """Lanterna records no Python stacks: checks ``metric`` and writes an empty file."""
        if metric not in self.supported_export_stacks_metrics():
            raise ValueError("metric should be one of: " + str(self.supported_export_stacks_metrics()))
        with open(path, "w"):
            pass


def _populate_cpu_children(events):
    """Link each event to the innermost event of its thread whose interval contains it (PyTorch's rule:
    intervals that only partly overlap are not nested). Async events take no part."""
    sync = sorted((e for e in events if not e.is_async), key=lambda e: e.thread)
    for _thread, thread_events in itertools.groupby(sync, key=lambda e: e.thread):
        stack = []
        for evt in sorted(thread_events, key=lambda e: (e.time_range.start, -e.time_range.end)):
            while stack:
                parent = stack[-1]
                if evt.time_range.start >= parent.time_range.end or evt.time_range.end > parent.time_range.end:
                    stack.pop()
                else:
                    parent.cpu_children.append(evt)
                    evt.cpu_parent = parent
                    break
            stack.append(evt)


def _sort_attr(sort_by):
    # PyTorch's table takes the old device names for its device columns
    return sort_by.replace("cuda", "device").replace("xpu", "device").replace("privateuse1", "device")


def _time_in(time_us, default, time_unit):
    if time_unit == "s":
        return f"{time_us / 1e6:.3f}s"
    if time_unit == "ms":
        return f"{time_us / 1e3:.3f}ms"
    if time_unit == "us":
        return f"{time_us:.3f}us"
    return default


def _build_table(events, sort_by=None, header=None, row_limit=100, max_name_column_width=55,
                 max_shapes_column_width=80, profile_memory=False, top_level_events_only=False, time_unit=None):
    if len(events) == 0:
        return ""
    if sort_by is not None:
        # an unknown key raises AttributeError naming it, as in PyTorch
        attr = _sort_attr(sort_by)
        events = sorted(events, key=lambda evt: getattr(evt, attr), reverse=True)

    name_width = max(len(evt.key) for evt in events) + 4
    if max_name_column_width is not None:
        name_width = min(name_width, max_name_column_width)
    has_input_shapes = any(evt.input_shapes is not None and len(evt.input_shapes) > 0 for evt in events)
    shapes_width = max(len(str(evt.input_shapes)) for evt in events) + 4
    if max_shapes_column_width is not None:
        shapes_width = min(shapes_width, max_shapes_column_width)

    headers = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg"]
    if profile_memory:
        headers += ["CPU Mem", "Self CPU Mem"]
    headers.append("# of Calls")
    widths = [name_width] + [12] * (len(headers) - 1)
    if has_input_shapes:
        headers.append("Input Shapes")
        widths.append(shapes_width)

    spacing = "  "
    row_format = "".join("{: >" + str(w) + "}" + spacing for w in widths)
    header_sep = "".join("-" * w + spacing for w in widths)
    line_length = sum(widths) + len(spacing) * (len(widths) - 1)
    self_total = sum(evt.self_cpu_time_total for evt in events)

    lines = []
    if header is not None:
        lines += ["=" * line_length, header]
    if top_level_events_only:
        lines += ["=" * line_length, "This report only display top-level ops statistics"]
    lines += [header_sep, row_format.format(*headers), header_sep]
    shown = 0
    for evt in events:
        if shown == row_limit:
            break
        if top_level_events_only and evt.cpu_parent is not None:
            continue
        shown += 1
        lines.append(row_format.format(*_row(evt, self_total, max_name_column_width, profile_memory,
                                             has_input_shapes, shapes_width, time_unit)))
    lines += [header_sep, f"Self CPU time total: {_time_in(self_total, _format_time(self_total), time_unit)}"]
    return "".join(line + "\n" for line in lines)


def _row(evt, self_total, max_name_column_width, profile_memory, has_input_shapes, shapes_width, time_unit):
    name = evt.key
    if max_name_column_width is not None and len(name) >= max_name_column_width - 3:
        name = name[: max_name_column_width - 3] + "..."
    row = [
        name,
        _format_time_share(evt.self_cpu_time_total, self_total),
        _time_in(evt.self_cpu_time_total, evt.self_cpu_time_total_str, time_unit),
        _format_time_share(evt.cpu_time_total, self_total) if not evt.is_async else 0,
        _time_in(evt.cpu_time_total, evt.cpu_time_total_str, time_unit),
        _time_in(evt.cpu_time, evt.cpu_time_str, time_unit),
    ]
    if profile_memory:
        row += [_format_memory(evt.cpu_memory_usage), _format_memory(evt.self_cpu_memory_usage)]
    row.append(evt.count)
    if has_input_shapes:
        row.append(str(evt.input_shapes)[:shapes_width])
    return row

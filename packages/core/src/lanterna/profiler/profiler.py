"""``torch.profiler.profile``, its schedule and trace handler.

The profiler keeps PyTorch's whole state machine (wait / warmup / active steps, cycles, when
``on_trace_ready`` runs), but what it records is only the ``record_function`` blocks and the
``ProfilerStep#N`` blocks of ``step()``: Lanterna times no individual op.
"""

from __future__ import annotations

import enum
import json
import os
import warnings
from functools import partial

from ._events import EventList
from ._record import Collector, record_function


class ProfilerActivity(enum.Enum):
    """What a profiler may trace. Lanterna records CPU time only; the others are accepted."""

    CPU = 0
    XPU = 1
    CUDA = 2
    HPU = 3
    MTIA = 4
    PrivateUse1 = 5

    def __int__(self):
        return self.value


class ProfilerAction(enum.Enum):
    """What the profiler does at a step (the values a ``schedule`` returns)."""

    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3
    DEVICE_STOPPED = 4


def supported_activities():
    """The activities Lanterna can trace: CPU time."""
    return {ProfilerActivity.CPU}


def kineto_available():
    """False: Lanterna's profiler is its own, not PyTorch's Kineto library."""
    return False


_WARNED = set()


def _warn_once(msg):
    if msg not in _WARNED:
        _WARNED.add(msg)
        warnings.warn(msg, UserWarning, stacklevel=3)


def schedule(*, wait, warmup, active, repeat=0, skip_first=0, skip_first_wait=0):
    """A ``schedule`` for :class:`profile`: skip ``skip_first`` steps, then repeat cycles of ``wait``
    idle steps, ``warmup`` steps and ``active`` recorded steps (``repeat`` cycles; 0: no end). The
    last active step of a cycle returns ``RECORD_AND_SAVE``, when ``on_trace_ready`` is called."""

    def schedule_fn(step):
        if step < 0:
            raise AssertionError(f"Step must be non-negative. Got {step}.")
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if skip_first_wait != 0:  # the first cycle starts without its wait
            step += wait
        num_steps = wait + warmup + active
        if repeat > 0 and step / num_steps >= repeat:
            return ProfilerAction.NONE
        mod_step = step % num_steps
        if mod_step < wait:
            return ProfilerAction.NONE
        if mod_step < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if mod_step < num_steps - 1 else ProfilerAction.RECORD_AND_SAVE

    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise AssertionError(
            f"Invalid profiler schedule arguments. Got wait={wait} (need >= 0), warmup={warmup} (need >= 0), "
            f"active={active} (need > 0), repeat={repeat} (need >= 0), skip_first={skip_first} (need >= 0)."
        )
    if warmup == 0:
        warnings.warn("Profiler won't be using warmup, this can skew profiler results", stacklevel=2)
    return schedule_fn


def _default_schedule_fn(_):
    """Without a schedule the profiler records from ``start()`` to ``stop()``."""
    return ProfilerAction.RECORD


def tensorboard_trace_handler(dir_name, worker_name=None, use_gzip=False, use_python_export=False):
    """An ``on_trace_ready`` handler writing each trace to ``dir_name`` as
    ``<worker_name>.<time in ns>.pt.trace.json`` (``.gz`` added with ``use_gzip``); ``worker_name``
    defaults to ``<hostname>_<pid>``."""
    import socket
    import time

    def handler_fn(prof):
        nonlocal worker_name
        if not os.path.isdir(dir_name):
            try:
                os.makedirs(dir_name, exist_ok=True)
            except Exception as e:
                raise RuntimeError("Can't create directory: " + dir_name) from e
        if not worker_name:
            worker_name = f"{socket.gethostname()}_{os.getpid()}"
        # nanoseconds, so that two traces of one worker get different names
        file_name = f"{worker_name}.{time.time_ns()}.pt.trace.json"
        if use_gzip:
            file_name += ".gz"
        prof.export_chrome_trace(os.path.join(dir_name, file_name))

    return handler_fn


def _parse_activities(activities):
    """The set of activities of a list of activities and ``{activity: [names]}`` filters."""
    parsed = set()
    for item in activities:
        keys = [item] if isinstance(item, ProfilerActivity) else None
        if isinstance(item, dict):
            keys = list(item)
        if keys is None:
            raise TypeError(f"Expected ProfilerActivity or dict, got {type(item)}")
        for key in keys:
            if key in parsed:
                raise ValueError(f"Activity {key} specified more than once")
            parsed.add(key)
    return parsed


def _device_of(activities):
    for activity, device in ((ProfilerActivity.CUDA, "cuda"), (ProfilerActivity.XPU, "xpu"),
                             (ProfilerActivity.MTIA, "mtia"), (ProfilerActivity.HPU, "hpu"),
                             (ProfilerActivity.PrivateUse1, "privateuseone")):
        if activity in activities:
            return device
    return None


class _Session:
    """What PyTorch keeps in ``prof.profiler``: the events of the last window (of all windows
    with ``acc_events``)."""

    def __init__(self, use_device, profile_memory, with_flops):
        self.use_device = use_device
        self.profile_memory = profile_memory
        self.with_flops = with_flops
        self.collector = None
        self.function_events = None
        self.trace_id = None

    def start(self):
        self.collector = Collector()
        self.collector.begin()

    def stop(self):
        if self.collector is None:
            return
        self.collector.end()
        previous = list(self.function_events or [])
        first_id = previous[-1].id + 1 if previous else 0
        events = EventList(previous + self.collector.events(first_id, self.use_device), use_device=self.use_device,
                           profile_memory=self.profile_memory, with_flops=self.with_flops)
        for evt in events:  # links are rebuilt for the whole list
            evt.cpu_children, evt.cpu_parent = [], None
        events._build_tree()
        self.function_events = events
        self.collector = None


class _KinetoProfile:
    """The profiler without a schedule: ``start()`` records, ``stop()`` ends the trace."""

    def __init__(self, *, activities=None, record_shapes=False, profile_memory=False, with_stack=False,
                 with_flops=False, with_modules=False, experimental_config=None, execution_trace_observer=None,
                 acc_events=False, custom_trace_id_callback=None, post_processing_timeout_s=None):
        self.activities = _parse_activities(activities) if activities is not None else supported_activities()
        # accepted for compatibility; Lanterna records no shapes, memory, stacks, FLOPs or modules
        self.record_shapes = record_shapes
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.with_flops = with_flops
        self.with_modules = with_modules
        self.experimental_config = experimental_config
        self.execution_trace_observer = execution_trace_observer
        self.acc_events = acc_events
        self.custom_trace_id_callback = custom_trace_id_callback
        self.post_processing_timeout_s = post_processing_timeout_s
        self.use_device = _device_of(self.activities)
        self.profiler = None
        self.preset_metadata = {}
        self._trace_metadata = {}

    def start(self):
        self.prepare_trace()
        self.start_trace()

    def stop(self):
        self.stop_trace()

    def prepare_trace(self):
        if self.profiler is not None and not self.acc_events:
            _warn_once("Warning: Profiler clears events at the end of each cycle. Only events from the current "
                       "cycle will be reported. To keep events across cycles, set acc_events=True.")
        if self.profiler is None or not self.acc_events:
            self.profiler = _Session(self.use_device, self.profile_memory, self.with_flops)

    def start_trace(self):
        if self.execution_trace_observer:
            self.execution_trace_observer.start()
        if self.profiler is None:
            raise AssertionError("Profiler must be initialized before starting trace")
        if self.custom_trace_id_callback is not None:
            self.profiler.trace_id = self.custom_trace_id_callback()
        self.profiler.start()
        for flag in ("profile_memory", "with_stack", "record_shapes", "with_modules", "with_flops"):
            if getattr(self, flag):
                self.add_metadata_json(flag, "1")
        for key, value in self.preset_metadata.items():
            self.add_metadata_json(key, value)

    def stop_trace(self):
        if self.execution_trace_observer:
            self.execution_trace_observer.stop()
        if self.profiler is None:
            raise AssertionError("Profiler must be initialized before stopping trace")
        self.profiler.stop()

    def export_chrome_trace(self, path, use_python_export=False):
        """Write the recorded blocks as a Chrome trace (gzip-compressed when ``path`` ends in ``.gz``)."""
        from ._trace import write_chrome_trace

        if self.profiler is None:
            raise AssertionError("Profiler must be initialized before exporting chrome trace")
        write_chrome_trace(self.profiler.function_events or [], path, self._trace_metadata)

    def export_stacks(self, path, metric="self_cpu_time_total"):
        if self.profiler is None:
            raise AssertionError("Profiler must be initialized before exporting stacks")
        return EventList(self.profiler.function_events or []).export_stacks(path, metric)

    def export_memory_timeline(self, path, device=None):
        raise NotImplementedError("Lanterna's profiler records no memory: there is no memory timeline to export")

    def toggle_collection_dynamic(self, enable, activities):
        """Accepted: Lanterna's profiler traces CPU blocks only, always."""

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0, group_by_overload_name=False):
        """The recorded blocks averaged by name (see ``EventList.key_averages``)."""
        if self.profiler is None:
            raise AssertionError("Profiler must be initialized before getting key averages")
        return self._function_events().key_averages(group_by_input_shape, group_by_stack_n, group_by_overload_name)

    def events(self):
        """The recorded blocks, one :class:`FunctionEvent` each, in the order they started."""
        if self.profiler is None:
            raise AssertionError("Profiler must be initialized before accessing events")
        return self.profiler.function_events

    def _function_events(self):
        events = self.profiler.function_events
        if events is None:
            raise RuntimeError("Profiler didn't finish running")
        return events

    def add_metadata(self, key, value):
        """Add a string ``value`` under ``key`` to the trace file."""
        self._trace_metadata[key] = str(value)

    def add_metadata_json(self, key, value):
        """Add ``value``, a JSON text, under ``key`` to the trace file."""
        self._trace_metadata[key] = json.loads(value)

    def preset_metadata_json(self, key, value):
        """Metadata added to every later trace."""
        self.preset_metadata[key] = value


class profile(_KinetoProfile):
    """The profiler (``with profile(...) as prof:``), with an optional ``schedule`` whose steps
    ``prof.step()`` marks; ``on_trace_ready(prof)`` runs at the end of each recorded cycle.

    It records the ``record_function`` blocks and, with a schedule, a ``ProfilerStep#N`` block
    per step, not individual ops.
    """

    def __init__(self, *, activities=None, schedule=None, on_trace_ready=None, record_shapes=False,
                 profile_memory=False, with_stack=False, with_flops=False, with_modules=False,
                 experimental_config=None, execution_trace_observer=None, acc_events=False, use_cuda=None,
                 custom_trace_id_callback=None, post_processing_timeout_s=None):
        self._check_activities(activities, use_cuda)
        super().__init__(activities=activities, record_shapes=record_shapes, profile_memory=profile_memory,
                         with_stack=with_stack, with_flops=with_flops, with_modules=with_modules,
                         experimental_config=experimental_config, execution_trace_observer=execution_trace_observer,
                         acc_events=acc_events, custom_trace_id_callback=custom_trace_id_callback,
                         post_processing_timeout_s=post_processing_timeout_s)
        if schedule:
            self.schedule = schedule
            self.record_steps = True  # a ProfilerStep#N block per step
        else:
            self.schedule = _default_schedule_fn
            self.record_steps = False
        self.on_trace_ready = on_trace_ready
        self.step_num = 0
        self.step_rec_fn = None
        self.current_action = self._checked_action(self.step_num)
        self.action_map = self._action_map()

    @staticmethod
    def _check_activities(activities, use_cuda):
        if activities is not None:
            found = set()
            for item in activities:
                if isinstance(item, ProfilerActivity):
                    found.add(item)
                elif isinstance(item, dict):
                    found.update(item.keys())
        else:
            found = supported_activities()
        if use_cuda is not None:
            warnings.warn("`use_cuda` is deprecated, use `activities` argument instead", FutureWarning, stacklevel=3)
            if use_cuda:
                found.add(ProfilerActivity.CUDA)
            else:
                found.discard(ProfilerActivity.CUDA)
        if not found:
            raise AssertionError("No valid profiler activities found")

    def _checked_action(self, step):
        action = self.schedule(step)
        if action == ProfilerAction.DEVICE_STOPPED:
            raise ValueError("ProfilerAction.DEVICE_STOPPED is set internally by the profiler and must not be "
                             "returned by a user-provided schedule")
        return action

    def _action_map(self):
        """(previous action, action) -> what to do, as PyTorch's profiler (None: the profiler stops)."""
        A = ProfilerAction
        prepare, start, stop, ready = self.prepare_trace, self.start_trace, self.stop_trace, self._trace_ready

        def bad(transition):
            return partial(warnings.warn, f"Incorrect schedule: {transition}")

        return {
            (A.NONE, A.WARMUP): [prepare],
            (A.NONE, A.RECORD): [prepare, start],
            (A.NONE, A.RECORD_AND_SAVE): [prepare, start],
            (A.WARMUP, A.NONE): [bad("WARMUP followed by NONE"), start, stop],
            (A.WARMUP, A.RECORD): [start],
            (A.WARMUP, A.RECORD_AND_SAVE): [start],
            (A.RECORD, A.NONE): [bad("RECORD followed by NONE"), stop],
            (A.RECORD, A.WARMUP): [bad("RECORD followed by WARMUP"), stop],
            (A.RECORD_AND_SAVE, A.NONE): [stop, ready],
            (A.RECORD_AND_SAVE, A.WARMUP): [stop, ready, prepare],
            (A.RECORD_AND_SAVE, A.RECORD): [stop, ready, prepare, start],
            (A.RECORD_AND_SAVE, A.RECORD_AND_SAVE): [stop, ready, prepare, start],
            (A.WARMUP, None): [start, stop],
            (A.RECORD, None): [stop, ready],
            (A.RECORD_AND_SAVE, None): [stop, ready],
        }

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.stop()
        if self.execution_trace_observer:
            self.execution_trace_observer.cleanup()

    def start(self):
        self._transit_action(ProfilerAction.NONE, self.current_action)
        self._enter_step()

    def stop(self):
        self._exit_step()
        self._transit_action(self.current_action, None)

    def step(self):
        """Mark the start of the next step (training iteration): the schedule decides whether it is
        recorded."""
        self._exit_step()
        prev_action = self.current_action
        action = self._checked_action(self.step_num + 1)
        self.step_num += 1
        self.current_action = action
        self._transit_action(prev_action, action)
        self._enter_step()

    def _enter_step(self):
        if self.record_steps:
            self.step_rec_fn = record_function("ProfilerStep#" + str(self.step_num))
            self.step_rec_fn.__enter__()

    def _exit_step(self):
        if self.record_steps and self.step_rec_fn:
            rec, self.step_rec_fn = self.step_rec_fn, None
            rec.__exit__(None, None, None)

    def set_custom_trace_id_callback(self, callback):
        self.custom_trace_id_callback = callback

    def get_trace_id(self):
        return None if self.profiler is None else self.profiler.trace_id

    def _trace_ready(self):
        if self.on_trace_ready:
            self.on_trace_ready(self)

    def _transit_action(self, prev_action, current_action):
        for action in self.action_map.get((prev_action, current_action), ()):
            action()
